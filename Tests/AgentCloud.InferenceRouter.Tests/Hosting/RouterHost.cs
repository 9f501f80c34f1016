using System.Net;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Pricing;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>One catalogue entry for a test router.</summary>
public sealed record EndpointSpec(string Name, SimulatorHost Simulator, string Placement = "shared", string? TenantId = null, string? Tier = null);

/// <summary>
/// The real InferenceRouter on Kestrel, trusting the test signing key, writing usage to the test Redis, with its
/// tenant policies from <see cref="FixedPolicies"/>.
/// </summary>
public sealed class RouterHost : WebApplicationFactory<InferenceRouterOptions>
{
    public const string CacheSaltSecret = "router-test-secret-0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;
    private readonly FixedPolicies _policies;

    private readonly TimeProvider? _time;

    public RouterHost(string redis, FixedPolicies policies, IReadOnlyList<EndpointSpec> endpoints, string cacheSalting = "Enforced",
        IReadOnlyDictionary<string, string?>? extraSettings = null, TimeProvider? time = null)
    {
        _policies = policies;
        _time = time;
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["TenantContext:StaticJwks"] = TestTenantContexts.Jwks,
            ["InferenceRouter:UpstreamApiKey"] = SimulatorHost.ApiKey,
            ["InferenceRouter:CacheSaltSecret"] = CacheSaltSecret,
            ["InferenceRouter:CacheSalting"] = cacheSalting,
            // Each router its own spool, so no test replays another's events.
            ["Outbox:SpoolDirectory"] = Path.Combine(Path.GetTempPath(), "agentcloud-router-outbox-" + Guid.NewGuid().ToString("N")),
            // sim-large burns output 5x and cached input 0.1x, as a provider's burndown would.
            ["InferenceRouter:Burndown:Models:sim-large:Input"] = "1",
            ["InferenceRouter:Burndown:Models:sim-large:CachedInput"] = "0.1",
            ["InferenceRouter:Burndown:Models:sim-large:Output"] = "5",
        };
        foreach (var (price, i) in Prices.Select((p, i) => (p, i)))
        {
            var prefix = $"InferenceRouter:Prices:Models:{i}:";
            _settings[prefix + "Model"] = price.Model;
            _settings[prefix + "InputPerMillion"] = price.InputPerMillion.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _settings[prefix + "CachedInputPerMillion"] = price.CachedInputPerMillion.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _settings[prefix + "OutputPerMillion"] = price.OutputPerMillion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var (e, i) in endpoints.Select((e, i) => (e, i)))
        {
            var prefix = $"InferenceRouter:Endpoints:{i}:";
            _settings[prefix + "Name"] = e.Name;
            _settings[prefix + "BaseUrl"] = e.Simulator.BaseUrl;
            _settings[prefix + "Placement"] = e.Placement;
            _settings[prefix + "TenantId"] = e.TenantId;
            _settings[prefix + "Tier"] = e.Tier;
            foreach (var (m, j) in e.Simulator.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ModelSimulator.Extensions.SimulatorOptions>>().Value.Models.Select((m, j) => (m, j)))
            {
                _settings[$"{prefix}Models:{j}"] = m;
            }
        }
        foreach (var (k, v) in extraSettings ?? new Dictionary<string, string?>())
        {
            _settings[k] = v;
        }
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0)); // not UseKestrel(0): its address rewrite races a minimal app's own start
        StartServer();
        BaseAddress = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri BaseAddress { get; }

    /// <summary>The simulators' prices (those the AppHost's defaults give them): sim-large costs about 16x sim-small.</summary>
    public static IReadOnlyList<ModelPrice> Prices { get; } =
    [
        new() { Model = "sim-small", InputPerMillion = 0.15m, CachedInputPerMillion = 0.075m, OutputPerMillion = 0.60m },
        new() { Model = "sim-large", InputPerMillion = 2.50m, CachedInputPerMillion = 1.25m, OutputPerMillion = 10.00m },
    ];

    /// <summary>What a usage event costs in micro-dollars at <see cref="Prices"/>.</summary>
    public static long Microdollars(UsageEvent e) =>
        Prices.Single(p => p.Model == e.Resource).Microdollars(e.InputTokens, e.CachedInputTokens, e.OutputTokens);

    /// <summary>A client calling as <paramref name="tenant"/>, with the context the Gateway would sign.</summary>
    public HttpClient ClientFor(TenantContext tenant) =>
        new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) }.As(tenant);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<ITenantPolicySource>(_policies);
            if (_time is not null)
            {
                s.AddSingleton(_time);
            }
        });
    }
}
