using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Tests.Shared;
using Npgsql;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>A database written by the version whose rollups had no principal, started under this one.</summary>
[Collection(UsageCollection.Name)]
public sealed class RollupPrincipalMigrationTests(UsageServers servers)
{
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
            tenant_id text NOT NULL, kind text NOT NULL, resource text NOT NULL, minute timestamptz NOT NULL,
            events bigint NOT NULL, input_tokens bigint NOT NULL, cached_input_tokens bigint NOT NULL, output_tokens bigint NOT NULL,
            weighted_tokens bigint NOT NULL, sandbox_seconds numeric NOT NULL, cost numeric NOT NULL,
            PRIMARY KEY (tenant_id, kind, resource, minute)
        );
        INSERT INTO usage_events (event_id, tenant_id, principal, kind, resource, input_tokens, cached_input_tokens, output_tokens,
            weighted_tokens, sandbox_seconds, started_at, duration_ms, status, cost, stream_id) VALUES
            ('e1', 'acme', 'key:key_aaaa', 'inference', 'sim-small', 100, 0, 10, 110, 0, '2026-06-01T12:00:05Z', 5, 'ok', 0.001, '1-0'),
            ('e2', 'acme', 'key:key_aaaa', 'inference', 'sim-small', 200, 0, 20, 220, 0, '2026-06-01T12:00:15Z', 5, 'ok', 0.002, '1-1'),
            ('e3', 'acme', 'key:key_bbbb', 'inference', 'sim-small', 400, 0, 40, 440, 0, '2026-06-01T12:00:25Z', 5, 'ok', 0.004, '1-2'),
            ('e4', 'acme', 'key:key_aaaa', 'inference', 'sim-large', 1000, 0, 100, 1100, 0, '2026-06-01T12:01:00Z', 5, 'ok', 0.01, '1-3');
        -- sim-small matches its raw events; sim-large holds four events more than the ledger (drift from before).
        INSERT INTO usage_rollups VALUES
            ('acme', 'inference', 'sim-small', '2026-06-01T12:00:00Z', 3, 700, 0, 70, 770, 0, 0.007),
            ('acme', 'inference', 'sim-large', '2026-06-01T12:01:00Z', 5, 5000, 0, 500, 5500, 0, 0.05);
        """;

    [Fact]
    public async Task Existing_rollups_are_split_by_principal_once_without_changing_any_total()
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
            await AssertSplitAsync(host);
        }
        // Applied again at the next start: nothing moves.
        await using (var again = await UsageHost.StartAsync(servers, database: database))
        {
            await AssertSplitAsync(again);
        }
    }

    private static async Task AssertSplitAsync(UsageHost host)
    {
        Assert.Equal(4, await host.ScalarAsync("SELECT count(*) FROM usage_rollups"));
        Assert.Equal(8, await host.CountedEventsAsync());
        Assert.Equal(5_000 + 700, await host.ScalarAsync("SELECT sum(input_tokens) FROM usage_rollups"));
        Assert.Equal(6, await host.ScalarAsync("""
            SELECT count(*) FROM information_schema.key_column_usage
            WHERE table_name = 'usage_rollups' AND constraint_name = 'usage_rollups_pkey'
            """));

        var body = await host.ClientAs(TestTenantContexts.Tenant("acme"))
            .GetFromJsonAsync<JsonElement>("/v1/usage?from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z&groupBy=key");
        var rows = body.GetProperty("data").EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!, r => r.GetProperty("events").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["key_aaaa"] = 3, ["key_bbbb"] = 1, ["unattributed"] = 4 }, rows);

        // The drift that was there before is still reported, now under the principal it could not be given to.
        var drift = Assert.Single((await host.ReconcileAsync()).Drift);
        Assert.Equal("unattributed", drift.Principal);
        Assert.Equal("sim-large", drift.Resource);
    }
}
