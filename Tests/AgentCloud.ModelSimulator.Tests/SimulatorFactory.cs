using AgentCloud.ModelSimulator.Extensions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentCloud.ModelSimulator.Tests;

/// <summary>The simulator in memory, with its API key and a fast latency model unless a test says otherwise.</summary>
public sealed class SimulatorFactory(Dictionary<string, string?>? settings = null) : WebApplicationFactory<SimulatorOptions>
{
    public const string ApiKey = "simulator-test-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var all = new Dictionary<string, string?>
        {
            ["ModelSimulator:ApiKey"] = ApiKey,
            ["ModelSimulator:InstanceName"] = "test-sim",
            ["ModelSimulator:BaseTtftMs"] = "1",
            ["ModelSimulator:PrefillMsPerToken"] = "0.05",
            ["ModelSimulator:CachedPrefillMsPerToken"] = "0.001",
            ["ModelSimulator:TpotMs"] = "0",
        };
        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }
        foreach (var (k, v) in all)
        {
            builder.UseSetting(k, v);
        }
    }

    public HttpClient AuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiKey);
        return client;
    }
}
