using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Processes;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>A tenant's lease on a slot: what the API calls a sandbox. Its id is new for every lease.</summary>
public sealed class Sandbox
{
    public required string Id { get; init; }
    public required string TenantId { get; init; }
    public required string Principal { get; init; }
    public string? RunId { get; init; }

    /// <summary>The project of the key that created the lease, so its seconds are billed to that project.</summary>
    public string? ProjectId { get; init; }
    public required SandboxSlot Slot { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Whether the slot came warm from a pool rather than created for this request.</summary>
    public bool Warm { get; init; }
    public IReadOnlyList<string> Egress { get; init; } = [];
    public IAsyncDisposable? EgressListener { get; set; }
    public string? EgressSocket { get; set; }

    /// <summary>The sandbox's cgroup v2 group (its limits, and a kill switch for all it runs); null where cgroups are unavailable.</summary>
    public string? Cgroup { get; set; }

    public DateTimeOffset LastUsedAt { get; set; }

    /// <summary>The run's own key, given to its processes as AGENTCLOUD_KEY; never shown through the API.</summary>
    public RunKey? RunKey { get; set; }

    /// <summary>How many times the sandbox was resumed: each lease of the same sandbox is billed under its own event id.</summary>
    public int Segment { get; init; }

    /// <summary>When this lease began: the creation, or the latest resume (billing counts from here).</summary>
    public DateTimeOffset? LeaseStartedAt { get; init; }

    /// <summary>Its background processes, and the long-lived boundary they and later execs share (where the level keeps one).</summary>
    public SandboxProcessTable Processes { get; } = new();

    /// <summary>Ends every background process and the boundary they run in; nothing may start in the sandbox afterwards.</summary>
    public Task StopProcessesAsync() => Processes.StopAllAsync();

    private int _running;
    private int _released;
    private int _held;

    public string Isolation => Slot.Level;
    public string Pool => Slot.Pool.Kind;
    public string Template => Slot.Template;
    public int RunningExecs => Volatile.Read(ref _running);
    public bool Released => Volatile.Read(ref _released) == 1;

    /// <summary>Being paused or resumed: no exec or file operation may start.</summary>
    public bool Held => Volatile.Read(ref _held) == 1;

    /// <summary>Whether a run key was (or is being) minted for this lease's run: its end must revoke it.</summary>
    public bool RunKeyIssued { get; init; }

    public LeaseRecord ToLeaseRecord() => new(Id, TenantId, Principal, RunId, Isolation, Pool, LeaseStartedAt ?? CreatedAt, ExpiresAt, RunKeyIssued, ProjectId, Segment);

    internal ExecAdmission TryBeginExec(int max)
    {
        var running = Interlocked.Increment(ref _running);
        if (Released || Held || running > max)
        {
            Interlocked.Decrement(ref _running);
            return Released ? ExecAdmission.Released : Held ? ExecAdmission.Paused : ExecAdmission.Full;
        }
        return ExecAdmission.Admitted;
    }

    internal void EndExec() => Interlocked.Decrement(ref _running);

    internal bool MarkReleased() => Interlocked.Exchange(ref _released, 1) == 0;

    /// <summary>Stops new execs for a pause or resume; false when one is already under way.</summary>
    internal bool TryHold() => Interlocked.CompareExchange(ref _held, 1, 0) == 0;

    internal void Unhold() => Volatile.Write(ref _held, 0);
}

internal enum ExecAdmission
{
    Admitted,
    Full,
    Released,
    Paused,
}
