using AgentCloud.Faults.Harness;

// dotnet run -c Release --project Bench/AgentCloud.Bench.Faults -- [hold seconds] [fault name fragment ...]
var hold = TimeSpan.FromSeconds(args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3);
var only = args.Skip(1).ToArray();
var verbose = Environment.GetEnvironmentVariable("BENCH_FAULTS_VERBOSE") == "1";
var faults = PlatformFault.All(hold).Where(f => only.Length == 0 || only.Any(o => f.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();

using var run = new CancellationTokenSource(TimeSpan.FromMinutes(30));
Console.WriteLine("Starting the platform (AppHost, local mode) ...");
await using var platform = await FaultPlatform.StartAsync(run.Token);
var runner = new FaultRunner(platform);
await runner.WarmUpAsync(run.Token);

Console.WriteLine($"Faults under traffic: {FaultRunner.Callers} callers to the Gateway on 127.0.0.1, a fail-open pro and a fail-closed free tenant per fault");
Console.WriteLine(FaultResult.TableHeader);
var results = new List<FaultResult>();
foreach (var fault in faults)
{
    var result = await runner.RunAsync(fault, run.Token);
    results.Add(result);
    Console.WriteLine(result.TableRow);
    if (verbose)
    {
        foreach (var line in result.Usage.Lines.Select(l => l.ToString()).Concat(result.Timeline))
        {
            Console.WriteLine("    " + line);
        }
    }
}
Console.WriteLine();
Console.WriteLine($"served: 2xx within {SteadyTraffic.AnswerDeadline.TotalSeconds:0} s; refused: 503/429 with Retry-After within {SteadyTraffic.AnswerDeadline.TotalSeconds:0} s; unreachable: connection refused (the Gateway itself down);");
Console.WriteLine($"cut: a call in flight when the Gateway died; failed: anything else (another 5xx or 4xx, no answer within {SteadyTraffic.AnswerDeadline.TotalSeconds:0} s);");
Console.WriteLine("lost/doubled: served calls (chat completions, sandbox leases) billed less / more than once, after the pipeline settled;");
Console.WriteLine("in doubt: calls whose caller saw no clean answer, which may be billed once; recovery: from the fault's undo until every");
Console.WriteLine("tenant's every operation was served again; drift: reconciliation rows; revoked in: a revoked key's first 401.");
return results.All(r => !r.Failures.Any() && r.Usage.Lost == 0 && r.Usage.Doubled == 0) ? 0 : 1;
