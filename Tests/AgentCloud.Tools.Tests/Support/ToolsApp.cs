using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>
/// The Tools service in-process with real Redis, test-signed tenant contexts, test policies and the fake platform
/// services behind it; its logs are kept so tests can scan them for credentials.
/// </summary>
public sealed class ToolsApp(string redis, FakePlatform platform, bool allowPrivateAddresses = true) : WebApplicationFactory<Program>
{
    public TestPolicies Policies { get; } = new();

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TenantContext:StaticJwks", TestTenantContexts.Jwks);
        builder.UseSetting("ConnectionStrings:redis", redis);
        builder.UseSetting("Tools:InjectionKey", FakePlatform.InjectionKey);
        builder.UseSetting("Tools:AllowPrivateAddresses", allowPrivateAddresses ? "true" : "false");
        builder.UseSetting("Tools:Integrations:echo:Hosts:0", "localhost");
        builder.UseSetting("Tools:Integrations:echo:Header", "X-Echo-Key");
        builder.UseSetting("Tools:Integrations:echo:Scheme", "Token");
        foreach (var service in new[] { "controlplane", "memory", "sandbox-broker" })
        {
            builder.UseSetting($"services:{service}:http:0", platform.Url);
        }
        builder.ConfigureLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        builder.ConfigureTestServices(services => services.AddSingleton<ITenantPolicySource>(Policies));
    }

    public HttpClient ClientFor(TenantContext tenant) => CreateClient().As(tenant);

    /// <summary>The official MCP client on <c>/v1/mcp</c>, as the given caller.</summary>
    public async Task<McpClient> McpFor(TenantContext tenant)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(Server.BaseAddress, "/v1/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }, ClientFor(tenant), ownsHttpClient: true);
        return await McpClient.CreateAsync(transport);
    }
}
