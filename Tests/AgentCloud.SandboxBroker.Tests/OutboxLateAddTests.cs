using AgentCloud.Platform.Outbox;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The shared outbox against a frozen Redis (SIGSTOP): an add that missed its deadline is spooled, but the client still
/// holds it on the connection and Redis runs it when it resumes. A flush in between must not add the entry again, so the
/// stream ends with exactly one entry, not one from the late add and one from the replay.
/// </summary>
public sealed class OutboxLateAddTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "agentcloud-outbox-test-" + Guid.NewGuid().ToString("N"));
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_spool, recursive: true);
    }

    [Fact]
    public async Task An_entry_whose_add_lands_after_its_deadline_is_not_replayed_a_second_time()
    {
        var outbox = new StreamOutbox(_connection, Options.Create(new StreamOutboxOptions
        {
            SpoolDirectory = _spool, AddDeadline = TimeSpan.FromMilliseconds(200),
        }), NullLogger<StreamOutbox>.Instance);
        const string Stream = "late-add-test";

        await _redis.PauseAsync();
        bool addedAtOnce;
        int flushedWhileFrozen;
        try
        {
            addedAtOnce = await outbox.AddAsync(Stream, [new("event", "{\"eventId\":\"e-1\"}")]);
            flushedWhileFrozen = await outbox.FlushAsync(CancellationToken.None);
        }
        finally
        {
            await _redis.ResumeAsync();
        }
        var db = _connection.GetDatabase();
        await LocalProcess.WaitUntilAsync(async () => await db.StreamLengthAsync(Stream) > 0, TimeSpan.FromSeconds(30), "the late add to land");
        await LocalProcess.WaitUntilAsync(async () =>
        {
            await outbox.FlushAsync(CancellationToken.None);
            return !outbox.HasSpooled;
        }, TimeSpan.FromSeconds(30), "the spool to empty");

        Assert.False(addedAtOnce);
        Assert.Equal(0, flushedWhileFrozen);
        Assert.Equal(1, await db.StreamLengthAsync(Stream));
    }
}
