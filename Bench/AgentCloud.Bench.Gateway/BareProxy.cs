using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Bench.Gateway;

/// <summary>
/// The ceiling of any Gateway built on Kestrel and YARP here: a slim host that forwards every call to the upstream
/// with YARP's forwarder and decides nothing (no authentication, no limit, no context, no telemetry). Measured in the
/// same run as the Gateway and nginx, it says how much of the distance to nginx is the Gateway's own work.
/// </summary>
internal static class BareProxy
{
    public static async Task<(WebApplication App, string Url)> StartAsync(string upstreamUrl)
    {
        var builder = TrivialUpstream.SlimBuilder();
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapForwarder("/{**rest}", upstreamUrl);
        return (app, await TrivialUpstream.StartAsync(app));
    }
}
