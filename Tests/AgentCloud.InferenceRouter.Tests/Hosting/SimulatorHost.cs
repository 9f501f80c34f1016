using System.Net;
using AgentCloud.ModelSimulator.Extensions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.InferenceRouter.Tests.Hosting;

/// <summary>
/// A real ModelSimulator on Kestrel at a loopback port, as the router would reach any upstream. Its latency model is
/// small but not zero, so modelled times still differ between cached and uncached prompts; a test may give it a clock.
/// </summary>
public sealed class SimulatorHost : WebApplicationFactory<SimulatorOptions>
{
    public const string ApiKey = "upstream-test-key";

    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _time;
    private readonly Action<IServiceCollection>? _services;

    // services: extra services, e.g. an IStartupFilter that observes the calls the simulator receives.
    public SimulatorHost(string instance, IEnumerable<string> models, Dictionary<string, string?>? settings = null, TimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        Instance = instance;
        _time = time;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["ModelSimulator:ApiKey"] = ApiKey,
            ["ModelSimulator:InstanceName"] = instance,
            ["ModelSimulator:BaseTtftMs"] = "1",
            ["ModelSimulator:PrefillMsPerToken"] = "0.02",
            ["ModelSimulator:CachedPrefillMsPerToken"] = "0.0005",
            ["ModelSimulator:TpotMs"] = "0",
            ["ModelSimulator:Slots"] = "64",
        };
        foreach (var (m, i) in models.Select((m, i) => (m, i)))
        {
            _settings[$"ModelSimulator:Models:{i}"] = m;
        }
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0)); // not UseKestrel(0): its address rewrite races a minimal app's own start
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/') + "/v1";
    }

    public string Instance { get; }

    /// <summary>The OpenAI base URL, as the router's catalogue takes it.</summary>
    public string BaseUrl { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        if (_time is not null)
        {
            builder.ConfigureTestServices(s => s.AddSingleton(_time));
        }
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}
