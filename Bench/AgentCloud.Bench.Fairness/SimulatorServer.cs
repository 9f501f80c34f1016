using System.Net;
using AgentCloud.ModelSimulator.Extensions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace AgentCloud.Bench.Fairness;

/// <summary>A real ModelSimulator on a loopback port with a fixed number of slots and a per-token latency.</summary>
internal sealed class SimulatorServer : WebApplicationFactory<SimulatorOptions>
{
    public const string ApiKey = "bench-upstream-key";

    public SimulatorServer(int slots, double tpotMs)
    {
        Slots = slots;
        TpotMs = tpotMs;
        // Outside a test project the factory cannot guess the simulator's content root; it needs none.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_AGENTCLOUD_MODELSIMULATOR", AppContext.BaseDirectory);
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0)); // not UseKestrel(0): its address rewrite races a minimal app's own start
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public int Slots { get; }
    public double TpotMs { get; }
    public string BaseUrl { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ModelSimulator:ApiKey", ApiKey);
        builder.UseSetting("ModelSimulator:Models:0", "sim-small");
        builder.UseSetting("ModelSimulator:Slots", Slots.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("ModelSimulator:TpotMs", TpotMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("ModelSimulator:BaseTtftMs", "2");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }
}
