using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Tests.Shared;
using Npgsql;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>A database written by the version whose rollups were per principal but had no project, started under this one.</summary>
[Collection(UsageCollection.Name)]
public sealed class RollupProjectMigrationTests(UsageServers servers)
{
    private const string Period = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";

    // The previous version's ledger and rollups, as it created them.
    private const string PreviousSchema = """
        CREATE TABLE usage_events (
            event_id text COLLATE "C" PRIMARY KEY, tenant_id text NOT NULL, principal text NOT NULL, run_id text,
            kind text NOT NULL, resource text NOT NULL, endpoint text, placement text, input_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL, output_tokens bigint NOT NULL, weighted_tokens bigint NOT NULL,
            sandbox_seconds numeric(18, 6) NOT NULL, started_at timestamptz NOT NULL, duration_ms bigint NOT NULL,
            status text NOT NULL, cost numeric NOT NULL, stream_id text NOT NULL, ingested_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE usage_rollups (
            tenant_id text NOT NULL, kind text NOT NULL, resource text NOT NULL, minute timestamptz NOT NULL, principal text NOT NULL,
            events bigint NOT NULL, input_tokens bigint NOT NULL, cached_input_tokens bigint NOT NULL, output_tokens bigint NOT NULL,
            weighted_tokens bigint NOT NULL, sandbox_seconds numeric NOT NULL, cost numeric NOT NULL,
            PRIMARY KEY (tenant_id, kind, resource, minute, principal)
        );
        INSERT INTO usage_events (event_id, tenant_id, principal, kind, resource, input_tokens, cached_input_tokens, output_tokens,
            weighted_tokens, sandbox_seconds, started_at, duration_ms, status, cost, stream_id) VALUES
            ('e1', 'acme', 'key:key_aaaa', 'inference', 'sim-small', 100, 0, 10, 110, 0, '2026-06-01T12:00:05Z', 5, 'ok', 0.001, '1-0'),
            ('e2', 'acme', 'key:key_bbbb', 'inference', 'sim-small', 400, 0, 40, 440, 0, '2026-06-01T12:00:25Z', 5, 'ok', 0.004, '1-1');
        INSERT INTO usage_rollups VALUES
            ('acme', 'inference', 'sim-small', '2026-06-01T12:00:00Z', 'key:key_aaaa', 1, 100, 0, 10, 110, 0, 0.001),
            ('acme', 'inference', 'sim-small', '2026-06-01T12:00:00Z', 'key:key_bbbb', 1, 400, 0, 40, 440, 0, 0.004);
        """;

    [Fact]
    public async Task Existing_usage_becomes_usage_of_no_project_and_new_usage_is_kept_per_project()
    {
        var database = await servers.Postgres.CreateDatabaseAsync();
        await using (var conn = new NpgsqlConnection(database))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(PreviousSchema, conn);
            await cmd.ExecuteNonQueryAsync();
        }

        await using (var host = await UsageHost.StartAsync(servers, database: database))
        {
            Assert.Equal(6, await host.ScalarAsync("""
                SELECT count(*) FROM information_schema.key_column_usage
                WHERE table_name = 'usage_rollups' AND constraint_name = 'usage_rollups_pkey'
                """));
            // In the same minute and under the same key as a row from before, but of a project: a bucket of its own.
            await host.AddAsync(Events.Inference("acme", input: 1_000, output: 100, at: new DateTimeOffset(2026, 6, 1, 12, 0, 40, TimeSpan.Zero))
                with { Principal = "key:key_aaaa", ProjectId = "prj_00aa11bb22cc33dd" });
            await host.WaitUntilDrainedAsync();
        }
        // Applied again at the next start: nothing moves.
        await using var again = await UsageHost.StartAsync(servers, database: database);
        var body = await again.ClientAs(TestTenantContexts.Tenant("acme")).GetFromJsonAsync<JsonElement>($"/v1/usage?{Period}&groupBy=project");

        var rows = body.GetProperty("data").EnumerateArray()
            .ToDictionary(r => r.GetProperty("projectId").GetString() ?? "(none)", r => r.GetProperty("inputTokens").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["(none)"] = 500, ["prj_00aa11bb22cc33dd"] = 1_000 }, rows);
        Assert.Equal(3, await again.ScalarAsync("SELECT count(*) FROM usage_rollups"));
        Assert.Empty((await again.ReconcileAsync()).Drift);
    }
}
