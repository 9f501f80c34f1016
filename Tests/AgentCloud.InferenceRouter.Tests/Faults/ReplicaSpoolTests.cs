using System.Diagnostics;
using System.Text.Json;
using AgentCloud.Platform.Outbox;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.InferenceRouter.Tests.Faults;

/// <summary>
/// Two router replicas on one host share one Outbox:SpoolDirectory (the AppHost gives them the same one). Each must
/// spool and replay only its own entries, and the entries of a replica that dies unsent must be sent once, by one survivor.
/// The dying replica is a real process holding its folder's lock, killed with SIGKILL as a crash would.
/// </summary>
public sealed class ReplicaSpoolTests : IAsyncLifetime
{
    private const string Stream = "replica-spool-test";
    private readonly RedisServerFixture _redis = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentcloud-replica-spool-" + Guid.NewGuid().ToString("N"));
    private readonly List<StreamOutbox> _outboxes = [];

    public Task InitializeAsync() => _redis.InitializeAsync();

    public async Task DisposeAsync()
    {
        _outboxes.ForEach(o => o.Dispose());
        await _redis.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Two_replicas_sharing_a_spool_directory_each_spool_and_replay_only_their_own_entries()
    {
        var first = NewOutbox();
        var second = NewOutbox();
        await _redis.StopAsync();

        Assert.False(await first.AddAsync(Stream, Event("from-first")));
        Assert.False(await second.AddAsync(Stream, Event("from-second")));

        Assert.NotEqual(Path.GetDirectoryName(first.SpoolPath), Path.GetDirectoryName(second.SpoolPath));
        Assert.Equal(["from-first"], SpooledIds(first.SpoolPath));
        Assert.Equal(["from-second"], SpooledIds(second.SpoolPath));
        // Neither takes the other's spool while the other runs.
        Assert.Equal(0, await first.TakeOverOrphansAsync(CancellationToken.None));
        Assert.Equal(0, await second.TakeOverOrphansAsync(CancellationToken.None));

        await _redis.StartAsync();
        await FlushUntilEmptyAsync(first);
        await FlushUntilEmptyAsync(second);
        Assert.Equal(["from-first", "from-second"], (await StreamIdsAsync()).Order());
    }

    [Fact]
    public async Task The_spool_of_a_replica_killed_with_entries_unsent_is_sent_exactly_once_by_a_survivor()
    {
        // The replica that will die: a process holding replica-0's lock (flock, as a router does), with one entry spooled.
        var deadFolder = Path.Combine(_root, SpoolSlot.FolderPrefix + "0");
        Directory.CreateDirectory(deadFolder);
        File.WriteAllText(Path.Combine(deadFolder, SpoolSlot.SpoolFileName),
            JsonSerializer.Serialize(new StreamOutbox.Spooled(Stream, [["event", EventJson("left-by-the-dead")]])) + "\n");
        using var dying = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--close", Path.Combine(deadFolder, SpoolSlot.LockFileName), "sleep", "600"]))!;
        await WaitForLockHeldAsync(deadFolder);

        var survivor = NewOutbox();
        var other = NewOutbox();
        Assert.NotEqual(deadFolder, Path.GetDirectoryName(survivor.SpoolPath));
        Assert.Equal(0, await survivor.TakeOverOrphansAsync(CancellationToken.None)); // its owner still runs
        Assert.False(survivor.HasSpooled);

        dying.Kill(entireProcessTree: true);
        await dying.WaitForExitAsync();

        var taken = await survivor.TakeOverOrphansAsync(CancellationToken.None) + await other.TakeOverOrphansAsync(CancellationToken.None);
        Assert.Equal(1, taken);
        Assert.False(File.Exists(Path.Combine(deadFolder, SpoolSlot.SpoolFileName)));
        await FlushUntilEmptyAsync(survivor);
        await FlushUntilEmptyAsync(other);
        Assert.Equal(0, await survivor.TakeOverOrphansAsync(CancellationToken.None) + await other.TakeOverOrphansAsync(CancellationToken.None));
        Assert.Equal(["left-by-the-dead"], await StreamIdsAsync());
    }

    [Fact]
    public async Task A_replica_restarted_after_its_siblings_started_gets_a_free_folder_and_its_old_entries_back()
    {
        // Its own connection, closed with it: a crashed process's client sends nothing it had queued.
        var crashedConnection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var crashed = NewOutbox(crashedConnection);
        var sibling = NewOutbox();
        await _redis.StopAsync();
        Assert.False(await crashed.AddAsync(Stream, Event("before-the-crash")));
        var crashedFolder = Path.GetDirectoryName(crashed.SpoolPath);
        crashed.Dispose(); // the lock goes as the process would
        await crashedConnection.DisposeAsync();

        var restarted = NewOutbox();
        Assert.Equal(crashedFolder, Path.GetDirectoryName(restarted.SpoolPath));
        Assert.Equal(["before-the-crash"], SpooledIds(restarted.SpoolPath));
        Assert.Equal(0, await sibling.TakeOverOrphansAsync(CancellationToken.None));

        await _redis.StartAsync();
        await FlushUntilEmptyAsync(restarted);
        Assert.Equal(["before-the-crash"], await StreamIdsAsync());
    }

    [Fact]
    public async Task A_reclaimed_spool_that_ends_mid_line_keeps_the_next_entry_on_a_line_of_its_own()
    {
        // A crash mid-append leaves replica-0's spool ending in half a line; the next process to claim replica-0 appends to it.
        var folder = Path.Combine(_root, SpoolSlot.FolderPrefix + "0");
        Directory.CreateDirectory(folder);
        var whole = JsonSerializer.Serialize(new StreamOutbox.Spooled(Stream, [["event", EventJson("before-the-tear")]]));
        File.WriteAllText(Path.Combine(folder, SpoolSlot.SpoolFileName), whole + "\n" + whole[..(whole.Length / 2)]);

        var reclaimer = NewOutbox();
        Assert.Equal(folder, Path.GetDirectoryName(reclaimer.SpoolPath));
        await _redis.StopAsync();
        Assert.False(await reclaimer.AddAsync(Stream, Event("after-the-tear")));
        Assert.Equal("after-the-tear", SpooledIds(reclaimer.SpoolPath).Last()); // readable on its own, not glued to the torn half

        await _redis.StartAsync();
        await FlushUntilEmptyAsync(reclaimer);
        Assert.Equal(["after-the-tear", "before-the-tear"], (await StreamIdsAsync()).Order()); // a queued add may land before the replay
    }

    [Fact]
    public async Task A_sibling_folder_whose_lock_cannot_be_opened_neither_loses_an_entry_nor_blocks_other_takeovers()
    {
        // A hostile or broken sibling: its owner.lock is a directory, which no process (root included) can open as a file.
        var blocked = Path.Combine(_root, SpoolSlot.FolderPrefix + "1");
        Directory.CreateDirectory(Path.Combine(blocked, SpoolSlot.LockFileName));
        Assert.Throws<UnauthorizedAccessException>(() =>
            new FileStream(Path.Combine(blocked, SpoolSlot.LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None).Dispose());
        File.WriteAllText(Path.Combine(blocked, SpoolSlot.SpoolFileName),
            JsonSerializer.Serialize(new StreamOutbox.Spooled(Stream, [["event", EventJson("behind-a-bad-lock")]])) + "\n");
        var orphan = Path.Combine(_root, SpoolSlot.FolderPrefix + "2");
        Directory.CreateDirectory(orphan);
        File.WriteAllText(Path.Combine(orphan, SpoolSlot.SpoolFileName),
            JsonSerializer.Serialize(new StreamOutbox.Spooled(Stream, [["event", EventJson("orphaned")]])) + "\n");

        var replica = NewOutbox();
        Assert.Equal(0, await replica.TakeOverOrphansAsync(CancellationToken.None)); // the orphan went at claim; the blocked one stays
        await _redis.StopAsync();
        Assert.False(await replica.AddAsync(Stream, Event("own")));

        await _redis.StartAsync();
        await FlushUntilEmptyAsync(replica);
        Assert.Equal(["orphaned", "own"], (await StreamIdsAsync()).Order()); // a queued add may land before the replay
        Assert.True(File.Exists(Path.Combine(blocked, SpoolSlot.SpoolFileName))); // left for an operator, not thrown away
    }

    private StreamOutbox NewOutbox(IConnectionMultiplexer? connection = null)
    {
        var outbox = new StreamOutbox(connection ?? _redis.Connection, Options.Create(new StreamOutboxOptions
        {
            SpoolDirectory = _root, AddDeadline = TimeSpan.FromMilliseconds(200),
        }), NullLogger<StreamOutbox>.Instance);
        _outboxes.Add(outbox);
        _ = outbox.SpoolPath; // claims its folder now, as a starting replica does
        return outbox;
    }

    private static KeyValuePair<string, string>[] Event(string id) => [new("event", EventJson(id))];

    private static string EventJson(string id) => JsonSerializer.Serialize(new { eventId = id });

    private static string[] SpooledIds(string spoolPath) =>
        File.ReadAllLines(spoolPath).Where(l => l.Length > 0 && l.EndsWith('}'))
            .Select(l => IdOf(JsonSerializer.Deserialize<StreamOutbox.Spooled>(l)!.Fields.Single()[1])).ToArray();

    private static string IdOf(string eventJson) => JsonDocument.Parse(eventJson).RootElement.GetProperty("eventId").GetString()!;

    private async Task<string[]> StreamIdsAsync()
    {
        var entries = await _redis.Connection.GetDatabase().StreamRangeAsync(Stream);
        return entries.Select(e => IdOf(e["event"]!)).ToArray();
    }

    private static Task FlushUntilEmptyAsync(StreamOutbox outbox) => LocalProcess.WaitUntilAsync(async () =>
    {
        await outbox.FlushAsync(CancellationToken.None);
        return !outbox.HasSpooled;
    }, TimeSpan.FromSeconds(30), "the spool to be sent");

    // flock(1) takes the lock a moment after it starts: wait until a non-blocking try is refused.
    private static Task WaitForLockHeldAsync(string folder) => LocalProcess.WaitUntilAsync(() =>
    {
        try
        {
            using var probe = new FileStream(Path.Combine(folder, SpoolSlot.LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return Task.FromResult(false);
        }
        catch (IOException)
        {
            return Task.FromResult(true);
        }
    }, TimeSpan.FromSeconds(10), "the dying replica to hold its folder's lock");
}
