extern alias sample;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>The sample ticket server on a real loopback port (the Tools service reaches it through its guarded sockets).</summary>
public sealed class SampleServer : WebApplicationFactory<sample::Program>
{
    public SampleServer() => UseKestrel(k => k.Listen(IPAddress.Loopback, 0)); // not UseKestrel(0): its address rewrite races a minimal app's own start

    public string McpUrl
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return address.TrimEnd('/') + "/mcp";
        }
    }
}
