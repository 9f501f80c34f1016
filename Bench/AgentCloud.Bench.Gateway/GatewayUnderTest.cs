using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Bench.Gateway;

/// <summary>The real Gateway, in this process on Kestrel at a random loopback port, with every route sent to the upstream.</summary>
internal sealed class GatewayUnderTest : WebApplicationFactory<Program>
{
    private readonly IDictionary<string, string?> _settings;

    public GatewayUnderTest(IDictionary<string, string?> settings)
    {
        _settings = settings;
        // Outside a test assembly the factory cannot find the Gateway's folder by itself; it has no content files anyway.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_GATEWAY", AppContext.BaseDirectory);
    }

    public string Url
    {
        get
        {
            StartServer();
            return Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        builder.UseEnvironment("Production");
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }
}
