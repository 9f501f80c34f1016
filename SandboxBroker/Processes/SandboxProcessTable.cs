namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// A sandbox's background processes and the boundary they (and later execs) share. Closed for good when the sandbox
/// ends: <see cref="StopAllAsync"/> kills them all and refuses any start after it.
/// </summary>
public sealed class SandboxProcessTable
{
    private readonly Lock _lock = new();
    private readonly List<BackgroundProcess> _processes = [];
    private int _lastPid;
    private bool _closed;

    /// <summary>Held while the boundary is looked at or started, so two starts never make two.</summary>
    public SemaphoreSlim BoundaryLock { get; } = new(1, 1);

    public SandboxBoundary? Boundary { get; set; }

    /// <summary>The sandbox has ended: nothing may start in it any more.</summary>
    public bool Closed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    public IReadOnlyList<BackgroundProcess> List()
    {
        lock (_lock)
        {
            return _processes.ToList();
        }
    }

    public bool AnyRunning
    {
        get
        {
            lock (_lock)
            {
                return _processes.Any(p => p.Result is null);
            }
        }
    }

    public BackgroundProcess? Find(int pid)
    {
        lock (_lock)
        {
            return _processes.FirstOrDefault(p => p.Pid == pid);
        }
    }

    /// <summary>
    /// Adds a new process unless the sandbox ended or already runs <paramref name="maxRunning"/>; drops the oldest
    /// ended ones beyond <paramref name="maxKept"/>, so the table stays bounded however many come and go.
    /// </summary>
    public BackgroundProcess? TryAdd(IReadOnlyList<string> command, DateTimeOffset now, int maxRunning, int maxKept, out string? refusal)
    {
        lock (_lock)
        {
            if (_closed)
            {
                refusal = "The sandbox was deleted.";
                return null;
            }
            if (_processes.Count(p => p.Result is null) >= maxRunning)
            {
                refusal = $"The sandbox already runs {maxRunning} background processes, the most one sandbox may run at once; signal one to end it first.";
                return null;
            }
            var process = new BackgroundProcess(++_lastPid, command, now);
            _processes.Add(process);
            while (_processes.Count > maxKept && _processes.FirstOrDefault(p => p.Result is not null) is { } oldest)
            {
                _processes.Remove(oldest);
            }
            refusal = null;
            return process;
        }
    }

    /// <summary>A process restored from a checkpoint, under its own number; later ones are numbered after <paramref name="lastPid"/>.</summary>
    public BackgroundProcess Restore(int pid, IReadOnlyList<string> command, DateTimeOffset startedAt, int lastPid)
    {
        lock (_lock)
        {
            var process = new BackgroundProcess(pid, command, startedAt);
            _processes.Add(process);
            _lastPid = Math.Max(_lastPid, Math.Max(lastPid, pid));
            return process;
        }
    }

    /// <summary>The highest number given so far, kept by a checkpoint so a restored sandbox never gives one twice.</summary>
    public int LastPid
    {
        get
        {
            lock (_lock)
            {
                return _lastPid;
            }
        }
    }

    /// <summary>Kills every process and the boundary, waits (bounded) until they are gone, and refuses new ones from now on.</summary>
    public async Task StopAllAsync()
    {
        List<BackgroundProcess> running;
        lock (_lock)
        {
            _closed = true;
            running = _processes.Where(p => p.Result is null).ToList();
        }
        foreach (var process in running)
        {
            process.Kill();
        }
        await BoundaryLock.WaitAsync();
        try
        {
            if (Boundary is { } boundary)
            {
                Boundary = null;
                await boundary.StopAsync();
            }
        }
        finally
        {
            BoundaryLock.Release();
        }
        await Task.WhenAny(Task.WhenAll(running.Select(p => p.Ended)), Task.Delay(TimeSpan.FromSeconds(10)));
    }
}
