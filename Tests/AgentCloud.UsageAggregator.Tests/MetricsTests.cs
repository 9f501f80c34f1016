using System.Diagnostics.Metrics;
using AgentCloud.UsageAggregator.Telemetry;

namespace AgentCloud.UsageAggregator.Tests;

[Collection(UsageCollection.Name)]
public sealed class MetricsTests(UsageServers servers)
{
    [Fact]
    public async Task Tokens_and_cost_are_counted_by_tenant_and_model_once_per_event()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        var measured = new List<(string Instrument, double Value, Dictionary<string, string> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == UsageMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString() ?? "");
            lock (measured)
            {
                measured.Add((instrument.Name, value, t));
            }
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        var e = Events.Inference("acme", "sim-large", input: 1_000_000, output: 0);
        await host.AddAsync(e, e, Events.Sandbox("globex", 10, "firecracker"));

        await (await host.ConsumerAsync("one")).ProcessNextAsync(CancellationToken.None);

        double Sum(string name, string tenant, string? type = null) => measured
            .Where(m => m.Instrument == name && m.Tags.GetValueOrDefault("tenant") == tenant && (type is null || m.Tags.GetValueOrDefault("type") == type))
            .Sum(m => m.Value);
        Assert.Equal(1_000_000, Sum("agentcloud.usage.tokens", "acme", "input"));
        Assert.Equal(2.5, Sum("agentcloud.usage.cost", "acme"), 6);
        Assert.Equal(10, Sum("agentcloud.usage.sandbox_seconds", "globex"));
        Assert.Equal("sim-large", measured.First(m => m.Instrument == "agentcloud.usage.tokens").Tags["model"]);
        Assert.Contains(measured, m => m.Instrument == "agentcloud.usage.consumer_lag");
    }
}
