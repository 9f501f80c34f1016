using System.Collections.Concurrent;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Leases;

/// <summary>
/// The broker's live leases, by sandbox id. Every tenant-facing lookup is by (tenant, id): another tenant's id is
/// simply not found. A per-tenant lock lets the creator count and add under one decision.
/// </summary>
public sealed class SandboxLeases
{
    private readonly ConcurrentDictionary<string, Sandbox> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _tenantLocks = new(StringComparer.Ordinal);

    /// <summary>Held while counting a tenant's leases and adding one, so two creates cannot both take the last place.</summary>
    public object LockFor(string tenantId) => _tenantLocks.GetOrAdd(tenantId, _ => new object());

    public int CountOf(string tenantId) => _leases.Values.Count(l => l.TenantId == tenantId);

    public void Add(Sandbox sandbox) => _leases[sandbox.Id] = sandbox;

    public void Remove(string sandboxId) => _leases.TryRemove(sandboxId, out _);

    /// <summary>The tenant's own live sandbox with that id, or null (also when it belongs to another tenant).</summary>
    public Sandbox? Find(string tenantId, string id) =>
        _leases.TryGetValue(id, out var s) && s.TenantId == tenantId && !s.Released ? s : null;

    public IReadOnlyList<Sandbox> List(string tenantId) =>
        _leases.Values.Where(s => s.TenantId == tenantId && !s.Released).OrderBy(s => s.CreatedAt).ToList();

    /// <summary>The tenant's leases, also those being ended right now (for the janitor).</summary>
    public IReadOnlyList<Sandbox> Of(string tenantId) => _leases.Values.Where(s => s.TenantId == tenantId).ToList();

    public IReadOnlyList<Sandbox> All() => _leases.Values.ToList();

    public IEnumerable<string> Tenants => _leases.Values.Select(s => s.TenantId).Distinct();
}
