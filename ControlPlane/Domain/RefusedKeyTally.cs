namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Counts refused uses of tenants' keys (revoked, expired, wrong secret, suspended tenant) per tenant and caller until
/// <see cref="RefusedKeyAuditFlusher"/> writes them, one entry per tenant and caller per window. A flood of retries with a
/// revoked key therefore costs a dictionary increment each, not an audit transaction each.
/// </summary>
public sealed class RefusedKeyTally
{
    /// <summary>Tenants beyond this many in one window are dropped from the count (and logged by the flusher); bounds memory.</summary>
    public const int MaxGroups = 10_000;
    private readonly Lock _gate = new();
    private Dictionary<(string TenantId, string Actor), Group> _groups = [];

    public long Dropped { get; private set; }

    public void Count(string tenantId, string actor, string keyId, string reason)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue((tenantId, actor), out var group))
            {
                if (_groups.Count >= MaxGroups)
                {
                    Dropped++;
                    return;
                }
                _groups[(tenantId, actor)] = group = new Group();
            }
            group.Count++;
            group.Reasons[reason] = group.Reasons.GetValueOrDefault(reason) + 1;
            if (group.Keys.Count < 20 || group.Keys.ContainsKey(keyId))
            {
                group.Keys[keyId] = group.Keys.GetValueOrDefault(keyId) + 1;
            }
        }
    }

    /// <summary>What was counted since the last call, and how many refusals did not fit; starts afresh.</summary>
    public (IReadOnlyDictionary<(string TenantId, string Actor), Group> Groups, long Dropped) Take()
    {
        lock (_gate)
        {
            var taken = (_groups, Dropped);
            _groups = [];
            Dropped = 0;
            return taken;
        }
    }

    public sealed class Group
    {
        public long Count { get; set; }
        public Dictionary<string, long> Reasons { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> Keys { get; } = new(StringComparer.Ordinal);
    }
}
