using System.Collections.Concurrent;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// This broker's leases on the kubernetes level, found only by their own tenant, and only once their claim is ready: one
/// still being created counts toward the limit but cannot be seen, deleted or used.
/// </summary>
public sealed class ClusterLeases
{
    private readonly ConcurrentDictionary<string, ClusterLease> _byId = new(StringComparer.Ordinal);

    public void Add(ClusterLease lease) => _byId[lease.Id] = lease;

    public void Remove(string id) => _byId.TryRemove(id, out _);

    /// <summary>The tenant's own lease with that id, or null (also when it is another tenant's).</summary>
    public ClusterLease? Find(string tenantId, string id) =>
        _byId.TryGetValue(id, out var lease) && lease.TenantId == tenantId && !lease.Ended && lease.Sandbox is not null ? lease : null;

    public IReadOnlyList<ClusterLease> List(string tenantId) =>
        _byId.Values.Where(l => l.TenantId == tenantId && !l.Ended && l.Sandbox is not null).OrderBy(l => l.CreatedAt).ToList();

    /// <summary>The tenant's live leases, those being created too.</summary>
    public IReadOnlyList<ClusterLease> Live(string tenantId) => _byId.Values.Where(l => l.TenantId == tenantId && !l.Ended).ToList();

    public int CountOf(string tenantId) => _byId.Values.Count(l => l.TenantId == tenantId && !l.Ended);

    public IReadOnlyList<ClusterLease> All() => _byId.Values.ToList();
}
