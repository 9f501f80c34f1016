using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapForwarder("/{**rest}", upstreamUrl);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
