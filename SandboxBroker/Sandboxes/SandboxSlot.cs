namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// A physical sandbox: its own host uid, workspace and /tmp folders at one isolation level and template.
/// It outlives leases: after a lease ends it is recycled (cleaned and verified) and can serve again.
/// </summary>
public sealed class SandboxSlot(string slotId, int uid, string level, string template, string directory, PoolKey pool)
{
    public string SlotId { get; } = slotId;
    public int Uid { get; } = uid;
    public string Level { get; } = level;
    public string Template { get; } = template;
    public PoolKey Pool { get; } = pool;

    /// <summary>The slot's folder; moves between the warm area and the leasing tenant's area.</summary>
    public string Directory { get; internal set; } = directory;

    public string Workspace => Path.Combine(Directory, "workspace");
    public string Tmp => Path.Combine(Directory, "tmp");

    /// <summary>Where a namespace-level sandbox builds its private root (inside its own mount namespace; empty on the host).</summary>
    public string RootMount => Path.Combine(Directory, "root");

    /// <summary>Environment the slot carries between execs; recycling resets it to the template's.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public int Uses { get; internal set; }
}

/// <summary>A warm pool: shared per (level, template), or dedicated to one tenant.</summary>
public sealed record PoolKey(string Level, string Template, string? DedicatedTenant)
{
    public string Kind => DedicatedTenant is null ? "shared" : "dedicated";
}
