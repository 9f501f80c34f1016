using System.Diagnostics;
using AgentCloud.Platform.Contracts;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Ingestion;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

/// <summary>
/// Where an event's CPU goes, one stage at a time over entries already in a stream: reading them back (XRANGE),
/// validating them, and writing them to the ledger (client and Postgres). Not a throughput figure: the stages run
/// one after another in this process, so that each is measured alone and their sum can be set against the target.
/// </summary>
internal static class Breakdown
{
    public static async Task RunAsync(IDatabase redis, string stream, string database, int batchSize, CpuMeter cpu, int total)
    {
        await using var dataSource = NpgsqlDataSource.Create(database);
        await UsageSchema.ApplyAsync(dataSource, CancellationToken.None);
        var validator = new UsageEventValidator(Options.Create(new UsageIngestionOptions()), new OffboardedTenants(dataSource));
        var process = Process.GetCurrentProcess();
        double Own()
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }

        double read = 0, validate = 0, write = 0;
        var start = cpu.Split();
        var after = "-";
        var done = 0;
        while (done < total)
        {
            var t0 = Own();
            var entries = await redis.StreamRangeAsync(stream, after == "-" ? "-" : "(" + after, "+", batchSize);
            var t1 = Own();
            if (entries.Length == 0) break;
            after = entries[^1].Id!;
            var good = new List<(UsageEvent Event, string StreamId)>(entries.Length);
            foreach (var entry in entries)
            {
                good.Add((validator.Validate(entry).Event!, entry.Id.ToString()));
            }
            var t2 = Own();
            await using (var conn = await dataSource.OpenConnectionAsync())
            await using (var tx = await conn.BeginTransactionAsync())
            {
                await UsageBatchWriter.WriteAsync(conn, tx, good, CancellationToken.None);
                await tx.CommitAsync();
            }
            var t3 = Own();
            read += t1 - t0; validate += t2 - t1; write += t3 - t2;
            done += entries.Length;
        }
        var end = cpu.Split();
        double PerEvent(double seconds) => seconds / done * 1e6;
        var redisUs = PerEvent(end.Redis - start.Redis);
        var postgresUs = PerEvent(end.Postgres - start.Postgres);
        Console.WriteLine($"  where the CPU goes, per event ({done:N0} events, stage by stage): read back (XRANGE) {PerEvent(read):0.0} µs bench + {redisUs:0.0} µs redis; " +
            $"validate {PerEvent(validate):0.0} µs; ledger write {PerEvent(write):0.0} µs bench + {postgresUs:0.0} µs postgres");
        Console.WriteLine($"  the ledger alone (validate + write) costs {PerEvent(validate + write) + postgresUs:0.0} µs an event; at 50,000 events/s on 2 cores everything together may cost 40 µs");
    }
}
