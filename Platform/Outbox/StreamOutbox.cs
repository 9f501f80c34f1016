using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.Platform.Outbox;

/// <summary>
/// The one outbox of every usage and audit producer: adds entries to Redis streams, and when Redis cannot take one
/// within its deadline, keeps it in a spool file (one JSON line per entry, fsync'd before the caller goes on) until
/// <see cref="FlushAsync"/> gets it added, also after a restart. Entries carry their own event id, which the
/// consumers deduplicate on, so an entry added twice (late add and replay) is still counted once.
/// Each process spools in a folder of its own under the configured directory (<see cref="SpoolSlot"/>), so replicas
/// sharing it never write or replay the same file, and takes over the spool of any folder no running process holds.
/// </summary>
public sealed class StreamOutbox(IConnectionMultiplexer redis, IOptions<StreamOutboxOptions> options, ILogger<StreamOutbox> logger, IHostEnvironment? environment = null) : IDisposable
{
    private readonly SemaphoreSlim _spoolLock = new(1, 1);
    private readonly Lock _claimLock = new();
    private SpoolSlot? _slot;

    // Spool lines whose add timed out but may still reach Redis (the client keeps a command queued while disconnected and
    // sends it on reconnect; a paused Redis runs its queue when it resumes). A flush waits while such an add is
    // unanswered and drops the line once it landed, instead of adding it a second time.
    private readonly ConcurrentDictionary<string, Task> _lateAdds = new(StringComparer.Ordinal);

    // The last add a flush gave up on; while Redis has not answered it, no other is queued behind it.
    private Task _lastFlushAdd = Task.CompletedTask;

    /// <summary>The configured spool directory, shared by the replicas of one host.</summary>
    public string SpoolRoot { get; } =
        Path.GetFullPath(options.Value.SpoolDirectory ?? StreamOutboxOptions.DefaultSpoolDirectory(environment?.ApplicationName ?? "agentcloud"));

    /// <summary>This process's own spool file; its folder is claimed (and orphans taken over) on first use.</summary>
    public string SpoolPath => Slot.SpoolPath;

    private SpoolSlot Slot
    {
        get
        {
            lock (_claimLock)
            {
                if (_slot is null)
                {
                    // Kept before the takeover, so a takeover that fails neither leaks the folder's lock nor claims again.
                    _slot = SpoolSlot.Claim(SpoolRoot);
                    TakeOverOrphans(_slot); // before anything of this run is spooled, so the orphans' older entries go first
                }
                return _slot;
            }
        }
    }

    /// <summary>Takes over the spool of every folder under the root that no running process holds (a replica that died).</summary>
    public async Task<int> TakeOverOrphansAsync(CancellationToken cancellationToken)
    {
        await _spoolLock.WaitAsync(cancellationToken);
        try
        {
            return TakeOverOrphans(Slot);
        }
        finally
        {
            _spoolLock.Release();
        }
    }

    private int TakeOverOrphans(SpoolSlot own)
    {
        var taken = 0;
        foreach (var folder in own.OthersUnder(SpoolRoot))
        {
            try
            {
                taken += SpoolSlot.TakeOver(folder, lines => Append(own.SpoolPath, lines));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // One bad folder (full disk, a lock file we may not open) must not stop this replica spooling or the rest.
                logger.LogWarning(e, "Could not take over the spool folder {Folder}; it is retried on the next flush", folder);
            }
        }
        if (taken > 0)
        {
            logger.LogInformation("Took over {Count} spooled stream entries left by a process that is gone", taken);
        }
        return taken;
    }

    private static void Append(string spoolPath, IReadOnlyList<string> lines) =>
        AppendDurably(spoolPath, Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));

    /// <summary>
    /// Appends whole lines and fsyncs. A spool left by a crash may end mid-line; a newline goes first then, or the
    /// torn line would swallow the first appended one and both would be dropped as unreadable.
    /// </summary>
    private static void AppendDurably(string spoolPath, byte[] lines)
    {
        using var file = new FileStream(spoolPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (file.Length > 0)
        {
            file.Seek(-1, SeekOrigin.End);
            if (file.ReadByte() != '\n')
            {
                file.WriteByte((byte)'\n');
            }
        }
        file.Seek(0, SeekOrigin.End);
        file.Write(lines);
        file.Flush(flushToDisk: true);
    }

    /// <summary>One spooled entry: the stream and its fields in order.</summary>
    public sealed record Spooled(string Stream, List<string[]> Fields);

    /// <summary>True when Redis took the entry now; false when it was spooled for later.</summary>
    public async Task<bool> AddAsync(string stream, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        Task<RedisValue>? add = null;
        try
        {
            add = redis.GetDatabase().StreamAddAsync(stream, fields.Select(f => new NameValueEntry(f.Key, f.Value)).ToArray());
            await add.WaitAsync(options.Value.AddDeadline);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // No SpoolPath here: claiming the folder can itself fail, and a log call must not throw the entry away.
            logger.LogWarning(e, "Redis did not take an entry for {Stream}; spooling it for retry", stream);
            var line = JsonSerializer.Serialize(new Spooled(stream, fields.Select(f => new[] { f.Key, f.Value }).ToList()));
            await SpoolAsync(line);
            WatchLateAdd(add, line);
            return false;
        }
    }

    private void WatchLateAdd(Task? add, string line)
    {
        if (add is null)
        {
            return;
        }
        _lateAdds[line] = add;
        add.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private async Task SpoolAsync(string entry)
    {
        var line = Encoding.UTF8.GetBytes(entry + "\n");
        await _spoolLock.WaitAsync();
        try
        {
            EnsureFolder();
            AppendDurably(SpoolPath, line);
        }
        finally
        {
            _spoolLock.Release();
        }
    }

    public bool HasSpooled => File.Exists(SpoolPath) && new FileInfo(SpoolPath).Length > 0;

    /// <summary>Adds spooled entries in order until Redis refuses one; keeps the rest. Returns how many were added.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        if (!redis.IsConnected || !_lastFlushAdd.IsCompleted)
        {
            return 0; // nothing queued on a dead connection or behind an unanswered add, so nothing lands twice later
        }
        await _spoolLock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(SpoolPath))
            {
                return 0;
            }
            var lines = await File.ReadAllLinesAsync(SpoolPath, cancellationToken);
            var added = 0;
            var db = redis.GetDatabase();
            var keep = new List<string>();
            foreach (var line in lines.Where(l => l.Length > 0))
            {
                if (keep.Count > 0)
                {
                    keep.Add(line);
                    continue;
                }
                if (_lateAdds.TryGetValue(line, out var late))
                {
                    if (!late.IsCompleted)
                    {
                        keep.Add(line); // its first add may still land: not now, or it would land twice
                        continue;
                    }
                    _lateAdds.TryRemove(line, out _);
                    if (late.IsCompletedSuccessfully)
                    {
                        continue; // it landed after all
                    }
                }
                var entry = Parse(line);
                if (entry is null)
                {
                    continue;
                }
                Task<RedisValue>? add = null;
                try
                {
                    add = db.StreamAddAsync(entry.Stream, entry.Fields.Select(f => new NameValueEntry(f[0], f[1])).ToArray());
                    await add.WaitAsync(options.Value.AddDeadline, cancellationToken); // short: new entries wait on this lock to spool
                    added++;
                }
                catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
                {
                    logger.LogDebug(e, "Redis still refuses spooled entries; they wait");
                    keep.Add(line);
                    WatchLateAdd(add, line);
                    _lastFlushAdd = add ?? Task.CompletedTask;
                }
            }
            Rewrite(keep);
            if (added > 0)
            {
                logger.LogInformation("Added {Count} spooled stream entries; {Left} left", added, keep.Count);
            }
            return added;
        }
        finally
        {
            _spoolLock.Release();
        }
    }

    /// <summary>A line cut short by a crash (or otherwise unreadable) is dropped with a warning rather than blocking the rest.</summary>
    private Spooled? Parse(string line)
    {
        try
        {
            var entry = JsonSerializer.Deserialize<Spooled>(line);
            if (entry is { Stream.Length: > 0, Fields.Count: > 0 } && entry.Fields.All(f => f is { Length: 2 }))
            {
                return entry;
            }
        }
        catch (JsonException)
        {
        }
        logger.LogWarning("Dropped an unreadable spool line: {Line}", line.Length > 200 ? line[..200] : line);
        return null;
    }

    /// <summary>Replaces the spool atomically (write, fsync, rename) so a crash leaves either the old or the new one.</summary>
    private void Rewrite(List<string> keep)
    {
        if (keep.Count == 0)
        {
            File.Delete(SpoolPath);
            return;
        }
        var next = SpoolPath + ".next";
        using (var file = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(string.Concat(keep.Select(l => l + "\n"))));
            file.Flush(flushToDisk: true);
        }
        File.Move(next, SpoolPath, overwrite: true);
    }

    private void EnsureFolder()
    {
        var dir = Path.GetDirectoryName(SpoolPath)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    public void Dispose()
    {
        lock (_claimLock)
        {
            _slot?.Dispose();
        }
    }
}
