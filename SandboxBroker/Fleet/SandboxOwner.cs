namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>Who holds a sandbox: its tenant, the broker that owns it and, once that broker died, when the sandbox was lost.</summary>
public sealed record SandboxOwner(string TenantId, string HostId, DateTimeOffset? LostAt);

/// <summary>A live sibling broker and where to reach it.</summary>
public sealed record FleetMember(string HostId, string Address, DateTimeOffset LastHeartbeat);
