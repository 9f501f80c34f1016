using System.Collections.Concurrent;
using Npgsql;

namespace AgentCloud.UsageAggregator.Tenants;

/// <summary>
/// Tenants the ControlPlane has offboarded, persisted in the usage database and mirrored in memory so every
/// event can be checked without a query. Their usage stays for billing; new events for them are dead-lettered.
/// </summary>
public sealed class OffboardedTenants(NpgsqlDataSource dataSource)
{
    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);

    public bool Contains(string tenantId) => _known.ContainsKey(tenantId);

    /// <summary>Reloads the persisted list (at start, so offboardings from before a restart are honoured).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT tenant_id FROM offboarded_tenants");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            _known[reader.GetString(0)] = 0;
        }
    }

    /// <summary>Honours an offboarding at once in this replica and records it durably for the others and for restarts.</summary>
    public async Task AddAsync(string tenantId, CancellationToken cancellationToken)
    {
        _known[tenantId] = 0;
        await using var cmd = dataSource.CreateCommand("INSERT INTO offboarded_tenants (tenant_id) VALUES (@t) ON CONFLICT DO NOTHING");
        cmd.Parameters.AddWithValue("t", tenantId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Whether the database says the tenant is offboarded (for the read API, which must not rely on this replica's memory).</summary>
    public async Task<bool> IsOffboardedAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (Contains(tenantId))
        {
            return true;
        }
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM offboarded_tenants WHERE tenant_id = @t)");
        cmd.Parameters.AddWithValue("t", tenantId);
        var offboarded = (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        if (offboarded)
        {
            _known[tenantId] = 0;
        }
        return offboarded;
    }
}
