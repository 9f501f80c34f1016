using AgentCloud.Platform.Contracts;
using System.Text.Json.Nodes;
using AgentCloud.Memory.Domain;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace AgentCloud.Memory.Backends;

/// <summary>
/// Postgres with pgvector. A registry table names each tenant's collections; shared-collection tenants' points live in
/// one table keyed by (tenant_id, collection, point_id), dedicated-collection tenants get a table per collection.
/// Every statement carries the tenant condition, in dedicated tables too. Search is exact (cosine distance).
/// </summary>
public sealed class PgvectorStore(NpgsqlDataSource dataSource) : IVectorStore
{
    public const string SharedTable = "memory_points";
    private const string DedicatedPrefix = "memory_dedicated_";
    private const long SchemaLockId = 0x6d656d6f7279; // "memory"
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }
        await _schemaGate.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady)
            {
                return;
            }
            await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var tx = await conn.BeginTransactionAsync(cancellationToken);
            await ExecAsync(conn, tx, $"SELECT pg_advisory_xact_lock({SchemaLockId})", cancellationToken);
            await ExecAsync(conn, tx, $"""
                CREATE EXTENSION IF NOT EXISTS vector;
                CREATE TABLE IF NOT EXISTS memory_collections (
                    tenant_id text NOT NULL,
                    collection text NOT NULL,
                    dimension int NOT NULL CHECK (dimension > 0),
                    isolation text NOT NULL,
                    physical text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (tenant_id, collection));
                {PointsTableDdl(SharedTable, "vector")}
                """, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    public async Task<CollectionInfo?> FindCollectionAsync(CollectionKey key, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var cmd = dataSource.CreateCommand("SELECT dimension, isolation FROM memory_collections WHERE tenant_id = $1 AND collection = $2");
        cmd.Parameters.AddWithValue(key.TenantId);
        cmd.Parameters.AddWithValue(key.Name);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CollectionInfo(key, reader.GetInt32(0), Enum.Parse<MemoryIsolation>(reader.GetString(1)))
            : null;
    }

    public async Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = new List<CollectionInfo>();
        await using (var list = new NpgsqlCommand(
            "SELECT collection, dimension, isolation FROM memory_collections WHERE tenant_id = $1 AND collection COLLATE \"C\" > $2 ORDER BY collection COLLATE \"C\" LIMIT $3", conn))
        {
            list.Parameters.AddWithValue(tenantId);
            list.Parameters.AddWithValue(after ?? "");
            list.Parameters.AddWithValue(limit);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(new CollectionInfo(new CollectionKey(tenantId, reader.GetString(0)), reader.GetInt32(1), Enum.Parse<MemoryIsolation>(reader.GetString(2))));
            }
        }
        var summaries = new List<CollectionSummary>(found.Count);
        foreach (var info in found)
        {
            // Counted with the tenant condition in dedicated tables too, as every statement here is.
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {TableOf(info.Key, info.Isolation)} WHERE tenant_id = $1 AND collection = $2", conn);
            count.Parameters.AddWithValue(tenantId);
            count.Parameters.AddWithValue(info.Key.Name);
            summaries.Add(new CollectionSummary(info.Key.Name, info.Dimension, info.Isolation, (long)(await count.ExecuteScalarAsync(cancellationToken))!));
        }
        return summaries;
    }

    public async Task<CollectionInfo> CreateCollectionAsync(CollectionKey key, int dimension, MemoryIsolation isolation, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var table = TableOf(key, isolation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await ExecAsync(conn, tx, $"SELECT pg_advisory_xact_lock({SchemaLockId})", cancellationToken);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO memory_collections (tenant_id, collection, dimension, isolation, physical) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", conn, tx))
        {
            insert.Parameters.AddWithValue(key.TenantId);
            insert.Parameters.AddWithValue(key.Name);
            insert.Parameters.AddWithValue(dimension);
            insert.Parameters.AddWithValue(isolation.ToString());
            insert.Parameters.AddWithValue(table);
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1 && isolation == MemoryIsolation.DedicatedCollection)
            {
                await ExecAsync(conn, tx, PointsTableDdl(table, $"vector({dimension})"), cancellationToken);
            }
        }
        await tx.CommitAsync(cancellationToken);
        return await FindCollectionAsync(key, cancellationToken)
            ?? throw new InvalidOperationException($"Collection {key.Name} of tenant {key.TenantId} vanished right after it was created.");
    }

    public async Task UpsertAsync(CollectionInfo collection, IReadOnlyList<StoredPoint> points, CancellationToken cancellationToken)
    {
        var table = TableOf(collection.Key, collection.Isolation);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(conn);
        foreach (var p in points)
        {
            var cmd = new NpgsqlBatchCommand($"""
                INSERT INTO {table} (tenant_id, collection, point_id, user_id, payload, embedding) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, collection, point_id) DO UPDATE SET user_id = EXCLUDED.user_id, payload = EXCLUDED.payload, embedding = EXCLUDED.embedding
                """);
            cmd.Parameters.AddWithValue(collection.Key.TenantId);
            cmd.Parameters.AddWithValue(collection.Key.Name);
            cmd.Parameters.AddWithValue(p.Id);
            cmd.Parameters.AddWithValue(p.UserIdJson);
            cmd.Parameters.Add(new NpgsqlParameter { Value = p.Payload.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            cmd.Parameters.AddWithValue(new Vector(p.Vector));
            batch.BatchCommands.Add(cmd);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredHit>> SearchAsync(CollectionInfo collection, float[] vector, PayloadFilter filter, int limit, CancellationToken cancellationToken)
    {
        var table = TableOf(collection.Key, collection.Isolation);
        await using var cmd = dataSource.CreateCommand();
        cmd.Parameters.AddWithValue(new Vector(vector));
        cmd.Parameters.AddWithValue(collection.Key.TenantId);
        cmd.Parameters.AddWithValue(collection.Key.Name);
        cmd.Parameters.AddWithValue(limit);
        var where = new List<string> { "tenant_id = $2", "collection = $3" };
        foreach (var c in filter.Conditions)
        {
            cmd.Parameters.AddWithValue(c.Field);
            var field = cmd.Parameters.Count;
            cmd.Parameters.Add(new NpgsqlParameter { Value = c.AnyOf.Select(v => v.ToJsonString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            where.Add($"payload -> ${field} = ANY(${field + 1})");
        }
        // The user's conditions are ANDed after the tenant's, inside one WHERE: there is nothing to OR around.
        cmd.CommandText = $"""
            SELECT tenant_id, collection, user_id, payload::text, 1 - (embedding <=> $1) AS score
            FROM {table} WHERE {string.Join(" AND ", where)}
            ORDER BY embedding <=> $1 LIMIT $4
            """;
        var hits = new List<StoredHit>(limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hits.Add(new StoredHit(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(4),
                JsonNode.Parse(reader.GetString(3)) as JsonObject ?? []));
        }
        return hits;
    }

    public async Task DeleteCollectionAsync(CollectionInfo collection, CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await DeleteAsync(conn, tx, collection.Key, collection.Isolation, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<int> DeleteTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var collections = new List<(string Name, MemoryIsolation Isolation)>();
        await using (var list = new NpgsqlCommand("SELECT collection, isolation FROM memory_collections WHERE tenant_id = $1 FOR UPDATE", conn, tx))
        {
            list.Parameters.AddWithValue(tenantId);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                collections.Add((reader.GetString(0), Enum.Parse<MemoryIsolation>(reader.GetString(1))));
            }
        }
        foreach (var (name, isolation) in collections)
        {
            await DeleteAsync(conn, tx, new CollectionKey(tenantId, name), isolation, cancellationToken);
        }
        // Belt and braces: no shared row of the tenant survives, registered or not.
        await using (var sweep = new NpgsqlCommand($"DELETE FROM {SharedTable} WHERE tenant_id = $1", conn, tx))
        {
            sweep.Parameters.AddWithValue(tenantId);
            await sweep.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return collections.Count;
    }

    private static async Task DeleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CollectionKey key, MemoryIsolation isolation, CancellationToken cancellationToken)
    {
        var table = TableOf(key, isolation);
        var sql = isolation == MemoryIsolation.DedicatedCollection
            ? $"DROP TABLE IF EXISTS {table}"
            : $"DELETE FROM {table} WHERE tenant_id = $1 AND collection = $2";
        await using (var points = new NpgsqlCommand(sql, conn, tx))
        {
            if (isolation == MemoryIsolation.SharedCollection)
            {
                points.Parameters.AddWithValue(key.TenantId);
                points.Parameters.AddWithValue(key.Name);
            }
            await points.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var registry = new NpgsqlCommand("DELETE FROM memory_collections WHERE tenant_id = $1 AND collection = $2", conn, tx);
        registry.Parameters.AddWithValue(key.TenantId);
        registry.Parameters.AddWithValue(key.Name);
        await registry.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Table names are derived from hashes, never from user text, so they are safe to put in SQL.</summary>
    private static string TableOf(CollectionKey key, MemoryIsolation isolation) =>
        isolation == MemoryIsolation.DedicatedCollection ? PointIds.PhysicalName(DedicatedPrefix, key) : SharedTable;

    private static string PointsTableDdl(string table, string vectorType) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
            tenant_id text NOT NULL,
            collection text NOT NULL,
            point_id uuid NOT NULL,
            user_id text NOT NULL,
            payload jsonb NOT NULL,
            embedding {vectorType} NOT NULL,
            PRIMARY KEY (tenant_id, collection, point_id));
        """;

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
