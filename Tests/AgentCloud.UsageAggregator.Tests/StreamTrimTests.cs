using AgentCloud.Platform.Streams;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>The usage stream is trimmed of what every group acknowledged, and of nothing a group still needs.</summary>
[Collection(UsageCollection.Name)]
public sealed class StreamTrimTests(UsageServers servers)
{
    [Fact]
    public async Task Events_every_group_acknowledged_are_trimmed_and_a_lagging_group_keeps_its_unread_ones()
    {
        await using var host = await UsageHost.StartAsync(servers, settings: new Dictionary<string, string> { ["UsageIngestion:TrimInterval"] = "01:00:00" });
        await host.AddAsync(Enumerable.Range(0, 50).Select(_ => Events.Inference("trim")).ToArray());
        await host.WaitUntilDrainedAsync();
        // A second group (another service reading the stream) that has read only 10 of them, acknowledged 5.
        await host.Redis.StreamCreateConsumerGroupAsync(host.Stream, "lagging", "0-0");
        var read = await host.Redis.StreamReadGroupAsync(host.Stream, "lagging", "slow", ">", count: 10);
        await host.Redis.StreamAcknowledgeAsync(host.Stream, "lagging", read.Take(5).Select(e => e.Id).ToArray());

        await AcknowledgedTrim.TrimAsync(host.Redis, host.Stream);

        var left = await host.Redis.StreamRangeAsync(host.Stream);
        Assert.Equal(45, left.Length); // the lagging group's 5 pending and 40 unread stay
        Assert.Equal(read[5].Id, left[0].Id);

        await host.Redis.StreamAcknowledgeAsync(host.Stream, "lagging", read.Skip(5).Select(e => e.Id).ToArray());
        var rest = await host.Redis.StreamReadGroupAsync(host.Stream, "lagging", "slow", ">", count: 100);
        await host.Redis.StreamAcknowledgeAsync(host.Stream, "lagging", rest.Select(e => e.Id).ToArray());
        await AcknowledgedTrim.TrimAsync(host.Redis, host.Stream);

        Assert.Empty(await host.Redis.StreamRangeAsync(host.Stream));
        Assert.Equal(50, await host.CountedEventsAsync());
    }

    [Fact]
    public async Task A_stream_no_group_reads_is_never_trimmed()
    {
        var db = servers.Redis.Connection.GetDatabase();
        var stream = "ungrouped-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 5; i++)
        {
            await db.StreamAddAsync(stream, "n", i);
        }

        Assert.Equal(0, await AcknowledgedTrim.TrimAsync(db, stream));
        Assert.Equal(5, await db.StreamLengthAsync(stream));
    }
}
