using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace AgentCloud.Bench.Memory;

/// <summary>The baseline: the same upsert and search as the service does, written straight against pgvector on a table of the same shape.</summary>
internal sealed class DirectPgvector(NpgsqlDataSource dataSource)
{
    public async Task CreateAsync()
    {
        await using var cmd = dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS direct_points (
                tenant_id text NOT NULL, collection text NOT NULL, point_id uuid NOT NULL, user_id text NOT NULL,
                payload jsonb NOT NULL, embedding vector NOT NULL, PRIMARY KEY (tenant_id, collection, point_id))
            """);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task UpsertAsync(string tenant, string collection, IReadOnlyList<(string Id, float[] Vector)> points)
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(conn);
        foreach (var (id, vector) in points)
        {
            var cmd = new NpgsqlBatchCommand("""
                INSERT INTO direct_points (tenant_id, collection, point_id, user_id, payload, embedding) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, collection, point_id) DO UPDATE SET payload = EXCLUDED.payload, embedding = EXCLUDED.embedding
                """);
            cmd.Parameters.AddWithValue(tenant);
            cmd.Parameters.AddWithValue(collection);
            cmd.Parameters.AddWithValue(Guid.CreateVersion7());
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.Add(new NpgsqlParameter { Value = "{\"n\":1}", NpgsqlDbType = NpgsqlDbType.Jsonb });
            cmd.Parameters.AddWithValue(new Vector(vector));
            batch.BatchCommands.Add(cmd);
        }
        await batch.ExecuteNonQueryAsync();
    }

    public async Task<int> SearchAsync(string tenant, string collection, float[] vector, int limit)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT user_id, payload::text, 1 - (embedding <=> $1) FROM direct_points
            WHERE tenant_id = $2 AND collection = $3 ORDER BY embedding <=> $1 LIMIT $4
            """);
        cmd.Parameters.AddWithValue(new Vector(vector));
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(collection);
        cmd.Parameters.AddWithValue(limit);
        await using var reader = await cmd.ExecuteReaderAsync();
        var n = 0;
        while (await reader.ReadAsync())
        {
            n++;
        }
        return n;
    }
}
