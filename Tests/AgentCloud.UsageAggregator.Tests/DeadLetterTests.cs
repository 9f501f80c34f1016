using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AgentCloud.Platform.Contracts;
using AgentCloud.UsageAggregator.Telemetry;

namespace AgentCloud.UsageAggregator.Tests;

[Collection(UsageCollection.Name)]
public sealed class DeadLetterTests(UsageServers servers)
{
    private static (string, string)[] Valid(params (string Name, string Value)[] overrides)
    {
        var fields = Events.Inference("acme").ToLegacyStreamFields().ToDictionary(f => f.Key, f => f.Value);
        foreach (var (name, value) in overrides)
        {
            fields[name] = value;
        }
        return fields.Select(f => (f.Key, f.Value)).ToArray();
    }

    private static (string, string)[] Without(string name) =>
        Events.Inference("acme").ToLegacyStreamFields().Where(f => f.Key != name).Select(f => (f.Key, f.Value)).ToArray();

    /// <summary>An entry in the current format (one JSON field) with some properties changed or removed (null).</summary>
    private static (string, string)[] Encoded(string property, JsonNode? value)
    {
        var json = JsonNode.Parse(Events.Inference("acme").ToStreamFields().Single().Value)!.AsObject();
        json.Remove(property);
        if (value is not null)
        {
            json[property] = value;
        }
        return [(UsageEvent.EncodedField, json.ToJsonString())];
    }

    public static TheoryData<string, string?, string> BadEncodedEvents => new()
    {
        { "tenantId", null, "not a usage event" },
        { "inputTokens", "-5", "must be a non-negative integer" },
        { "outputTokens", "\"lots\"", "not a usage event" },
        { "kind", "\"mining\"", "must be inference, embedding, sandbox or tool" },
        { "resource", "\"sim\\u0000small\"", "NUL character" },
        { "startedAt", "\"2100-01-01T00:00:00Z\"", "in the future" },
        { "principal", "\"   \"", "missing field 'principal'" },
    };

    [Theory]
    [MemberData(nameof(BadEncodedEvents))]
    public async Task An_encoded_event_with_a_bad_or_missing_value_is_dead_lettered_with_the_reason(string property, string? json, string reason)
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync(Encoded(property, json is null ? null : JsonNode.Parse(json)));
        await host.WaitUntilDrainedAsync();

        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Contains(reason, dead["reason"].ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await host.CountedEventsAsync());
    }

    [Fact]
    public async Task An_entry_whose_event_field_is_not_json_is_dead_lettered()
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync((UsageEvent.EncodedField, "{not json"));
        await host.WaitUntilDrainedAsync();

        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Contains("not a usage event", dead["reason"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_in_the_earlier_one_field_a_property_format_is_still_counted()
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync(Valid());
        await host.WaitUntilDrainedAsync();

        Assert.Equal(1, await host.CountedEventsAsync());
    }

    [Theory]
    [InlineData("tenantId", "missing field 'tenantId'")]
    [InlineData("eventId", "missing field 'eventId'")]
    [InlineData("startedAt", "missing field 'startedAt'")]
    public async Task Event_missing_a_field_is_dead_lettered_with_the_reason(string field, string reason)
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync(Without(field));
        await host.WaitUntilDrainedAsync();

        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Contains(reason, dead["reason"].ToString(), StringComparison.Ordinal);
        Assert.Equal("malformed", dead["reasonKind"].ToString());
        Assert.Equal(0, await host.CountedEventsAsync());
    }

    [Theory]
    [InlineData("inputTokens", "-5", "must be a non-negative integer")]
    [InlineData("outputTokens", "lots", "must be a non-negative integer")]
    [InlineData("sandboxSeconds", "-1.5", "must be a non-negative number")]
    [InlineData("inputTokens", "9223372036854775807", "more than the")]
    [InlineData("startedAt", "999999999999999999", "outside any representable time")]
    [InlineData("startedAt", "4102444800000", "in the future")]
    [InlineData("kind", "mining", "must be inference, embedding, sandbox or tool")]
    [InlineData("resource", "sim\0small", "NUL character")]
    public async Task Event_with_a_bad_value_is_dead_lettered_with_the_reason(string field, string value, string reason)
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync(Valid((field, value)));
        await host.WaitUntilDrainedAsync();

        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Contains(reason, dead["reason"].ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await host.CountedEventsAsync());
    }

    [Theory]
    [InlineData("Not A Tenant")]
    [InlineData("_platform")]
    [InlineData("../globex")]
    public async Task Event_of_a_tenant_id_that_cannot_exist_is_dead_lettered_as_unknown_tenant(string tenant)
    {
        await using var host = await UsageHost.StartAsync(servers);

        await host.AddRawAsync(Valid(("tenantId", tenant)));
        await host.WaitUntilDrainedAsync();

        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.StartsWith($"unknown tenant '{tenant}'", dead["reason"].ToString(), StringComparison.Ordinal);
        Assert.Equal("unknown-tenant", dead["reasonKind"].ToString());
    }

    [Fact]
    public async Task Dead_letter_keeps_the_original_fields_and_good_events_in_the_same_batch_still_count()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        var good = Events.Inference("acme");
        await host.AddAsync(good);
        await host.AddRawAsync(Valid(("inputTokens", "-1"), ("eventId", "bad-1")));
        await host.AddAsync(Events.Inference("acme"));

        await (await host.ConsumerAsync("one")).ProcessNextAsync(CancellationToken.None);

        Assert.Equal(2, await host.CountedEventsAsync());
        var dead = Assert.Single(await host.Redis.StreamRangeAsync(host.DeadLetterStream));
        Assert.Equal("bad-1", dead["eventId"].ToString());
        Assert.Equal("-1", dead["inputTokens"].ToString());
        Assert.False(dead["sourceId"].IsNullOrEmpty);
    }

    [Fact]
    public async Task Dead_lettered_events_are_counted_in_a_metric_by_reason()
    {
        await using var host = await UsageHost.StartAsync(servers, runWorker: false);
        var counted = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == UsageMetrics.MeterName && instrument.Name == "agentcloud.usage.dead_lettered")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var reason = tags.ToArray().Single(t => t.Key == "reason").Value!.ToString()!;
            lock (counted)
            {
                counted[reason] = counted.GetValueOrDefault(reason) + value;
            }
        });
        listener.Start();
        await host.AddRawAsync(Without("principal"));
        await host.AddRawAsync(Valid(("tenantId", "NOPE")));
        await host.AddRawAsync(Valid(("tenantId", "NOPE")));

        await (await host.ConsumerAsync("one")).ProcessNextAsync(CancellationToken.None);

        Assert.Equal(1, counted.GetValueOrDefault("malformed"));
        Assert.Equal(2, counted.GetValueOrDefault("unknown-tenant"));
    }
}
