using AgentCloud.Platform.Contracts;
using AgentCloud.SandboxBroker.Leases;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// A tenant's lease of a sandbox on the kubernetes level: whom it bills, its run and run key, its claim in the cluster,
/// and the execs running in it. Ended once (<see cref="MarkEnded"/>), by a DELETE, the janitor or shutdown.
/// </summary>
public sealed class ClusterLease
{
    public const string Pool = "cluster";

    private int _ended;
    private int _runningExecs;
    private ClusterSandbox? _sandbox;

    public required string Id { get; init; }

    public required string TenantId { get; init; }

    public required string Principal { get; init; }

    public required string RunId { get; init; }

    public string? ProjectId { get; init; }

    public required string Tier { get; init; }

    public required bool Dedicated { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset LastUsedAt { get; set; }

    public RunKey? RunKey { get; set; }

    /// <summary>
    /// Whether the lease is to get a run key: journaled before the key is minted, so a crash between the two still has
    /// recovery announce the run's end (and a key minted just before the crash revoked).
    /// </summary>
    public bool RunKeyIntended { get; init; }

    /// <summary>Set once the claim is ready; null while the pod is being claimed (the lease already counts then, but is not yet the caller's to see).</summary>
    public ClusterSandbox? Sandbox
    {
        get => Volatile.Read(ref _sandbox);
        set => Volatile.Write(ref _sandbox, value);
    }

    public bool Ended => Volatile.Read(ref _ended) == 1;

    public int RunningExecs => Volatile.Read(ref _runningExecs);

    public bool MarkEnded() => Interlocked.Exchange(ref _ended, 1) == 0;

    /// <summary>Admits an exec unless <paramref name="max"/> already run; false then.</summary>
    public bool TryBeginExec(int max)
    {
        if (Interlocked.Increment(ref _runningExecs) <= max)
        {
            return true;
        }
        Interlocked.Decrement(ref _runningExecs);
        return false;
    }

    public void EndExec() => Interlocked.Decrement(ref _runningExecs);

    /// <summary>What the usage event bills: seconds from creation to the end, resource <c>sandbox:kubernetes</c>.</summary>
    public LeaseRecord ToLeaseRecord() => new(Id, TenantId, Principal, RunId, KubernetesLevel.Name, Dedicated ? "dedicated" : "shared",
        CreatedAt, ExpiresAt, RunKeyIntended || RunKey is not null, ProjectId);
}
