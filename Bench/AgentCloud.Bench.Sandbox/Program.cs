using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AgentCloud.SandboxBroker;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using System.Globalization;

// Sandbox latency on this machine, in one run, per level against that level's raw baseline: a raw bwrap start for
// bubblewrap, a raw `runsc do /bin/true` for gVisor. gVisor runs fewer rounds: every recycle reboots a sandbox.
const int Warmup = 10;

var redisPort = FreePort();
using var redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
{
    RedirectStandardOutput = true, UseShellExecute = false,
})!;
try
{
    await using var mux = await ConnectAsync($"127.0.0.1:{redisPort},abortConnect=false");
    var caller = new TenantContext("bench-tenant", "pro", "key:bench", ["sandbox"]);
    var rows = new List<(Result Measure, Result Raw)>();
    var verdicts = new List<string>();

    var rawBwrap = Measure("raw bwrap /bin/true", 200, RunRawBwrap);
    var bwrap = await MeasureLevelAsync(mux, caller, IsolationLevels.Bubblewrap, 200, 820_000);
    rows.AddRange(new[] { rawBwrap }.Concat(bwrap).Select(m => (m, rawBwrap)));
    verdicts.Add($"bubblewrap warm acquire p50 <= 5 ms: {Met(bwrap[1].P50 <= 5)} ({bwrap[1].P50:F2} ms)");
    verdicts.Add($"bubblewrap exec round trip p50 <= 3 x raw bwrap: {Met(bwrap[2].P50 <= 3 * rawBwrap.P50)} ({bwrap[2].P50 / rawBwrap.P50:F2} x)");

    if (RunscAvailable())
    {
        var rawRunsc = Measure("raw runsc do /bin/true", 60, RunRawRunsc);
        var gvisor = await MeasureLevelAsync(mux, caller, IsolationLevels.Gvisor, 60, 840_000);
        rows.AddRange(new[] { rawRunsc }.Concat(gvisor).Select(m => (m, rawRunsc)));
        verdicts.Add($"gvisor warm acquire p50 <= 5 ms: {Met(gvisor[1].P50 <= 5)} ({gvisor[1].P50:F2} ms)");
        verdicts.Add($"gvisor warm exec p50 <= 1.5 x raw runsc do: {Met(gvisor[2].P50 <= 1.5 * rawRunsc.P50)} ({gvisor[2].P50 / rawRunsc.P50:F2} x)");
    }
    else
    {
        verdicts.Add("gvisor: runsc is not installed here (eng/prereqs.sh installs it); no gVisor rows");
    }

    Console.WriteLine();
    Console.WriteLine($"{"measure",-44} {"p50 ms",9} {"p99 ms",9} {"p50 / raw",10}");
    foreach (var (m, raw) in rows)
    {
        Console.WriteLine($"{m.Name,-44} {m.P50,9:F2} {m.P99,9:F2} {m.P50 / raw.P50,9:F2}x");
    }
    Console.WriteLine();
    verdicts.ForEach(Console.WriteLine);
    Console.WriteLine("anchors (published): agent-sandbox warm claim ~320 ms; gVisor cold start ~100 ms; Firecracker boot <= 125 ms");
}
finally
{
    redis.Kill();
}

static string Met(bool met) => met ? "met" : "NOT met";

// Cold create + exec + delete, warm-pool acquire, and exec on a held warm sandbox, at one level.
static async Task<Result[]> MeasureLevelAsync(IConnectionMultiplexer mux, TenantContext caller, string level, int iterations, int uidBase)
{
    var policy = new TenantPolicy { TenantId = caller.TenantId, Tier = "pro", MaxConcurrentSandboxes = 1000, SandboxIsolationLevels = [level] };
    await using var cold = Broker(mux, level, poolSize: 0, uidBase: uidBase);
    var coldManager = cold.GetRequiredService<SandboxManager>();
    var coldRun = await MeasureAsync($"{level}: cold create + exec true + delete", iterations, async () =>
    {
        var sandbox = coldManager.Create(caller, policy, new CreateSandboxRequest(null, null, null));
        await coldManager.ExecAsync(sandbox, new ExecRequest(["true"], null, null, null), CancellationToken.None);
        await coldManager.ReleaseAsync(sandbox, "ok");
    });

    await using var warm = Broker(mux, level, poolSize: 32, uidBase: uidBase + 10_000);
    var warmManager = warm.GetRequiredService<SandboxManager>();
    var pools = warm.GetRequiredService<WarmPools>();
    pools.RegisterSharedPools();
    pools.Refill();
    var acquire = new List<double>();
    for (var i = 0; i < iterations + Warmup; i++)
    {
        var watch = Stopwatch.StartNew();
        var sandbox = warmManager.Create(caller, policy, new CreateSandboxRequest(null, null, null));
        watch.Stop();
        if (!sandbox.Warm)
        {
            throw new InvalidOperationException("the warm pool ran dry during the benchmark");
        }
        if (i >= Warmup)
        {
            acquire.Add(watch.Elapsed.TotalMilliseconds);
        }
        await warmManager.ReleaseAsync(sandbox, "ok");
    }
    var warmAcquire = Report($"{level}: warm-pool acquire", acquire);

    var held = warmManager.Create(caller, policy, new CreateSandboxRequest(null, null, null));
    var execRun = await MeasureAsync($"{level}: exec true on a warm sandbox", iterations, () =>
        warmManager.ExecAsync(held, new ExecRequest(["true"], null, null, null), CancellationToken.None));
    await warmManager.ReleaseAsync(held, "ok");
    foreach (var provider in new[] { cold, warm })
    {
        provider.GetRequiredService<WarmPools>().DrainAll();
        Directory.Delete(provider.GetRequiredService<SlotLayout>().Root, recursive: true);
    }
    return [coldRun, warmAcquire, execRun];
}

static ServiceProvider Broker(IConnectionMultiplexer mux, string level, int poolSize, int uidBase)
{
    var services = new ServiceCollection();
    services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
    services.AddMetrics();
    services.AddSingleton(mux);
    services.AddSingleton(Options.Create(new SandboxBrokerOptions
    {
        Root = Path.Combine(Path.GetTempPath(), $"agentcloud-bench-{uidBase}"),
        SharedPoolSize = poolSize,
        PooledLevels = [level],
        UidBase = uidBase,
        UidCount = 5000,
    }));
    services.AddSingleton(TimeProvider.System);
    services.AddSandboxBrokerCore();
    var provider = services.BuildServiceProvider();
    provider.GetRequiredService<SandboxManager>().ReclaimOrphans();
    return provider;
}

static void RunRawBwrap()
{
    var psi = new ProcessStartInfo("bwrap") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "--unshare-all", "--die-with-parent" }.Concat(BubblewrapBackend.SystemMounts)
                 .Concat(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "/usr/bin/true"]))
    {
        psi.ArgumentList.Add(a);
    }
    using var p = Process.Start(psi)!;
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"bwrap failed: {p.StandardError.ReadToEnd()}");
    }
}

static bool RunscAvailable()
{
    try
    {
        using var p = Process.Start(new ProcessStartInfo("runsc", ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return false;
    }
}

// As the broker runs it: root where the bench runs as root, no network device, its own state folder.
static void RunRawRunsc()
{
    var state = Path.Combine(Path.GetTempPath(), $"agentcloud-bench-runsc-{Environment.ProcessId}");
    var psi = new ProcessStartInfo("runsc") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "--root", state, "--network=none", "--ignore-cgroups" }.Concat(LaunchPrefix.BrokerIsRoot ? [] : new[] { "--rootless" })
                 .Concat(["do", "/usr/bin/true"]))
    {
        psi.ArgumentList.Add(a);
    }
    using var p = Process.Start(psi)!;
    var stderr = p.StandardError.ReadToEndAsync();
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"runsc do failed: {stderr.Result}");
    }
}

static Result Measure(string name, int n, Action action)
{
    var samples = new List<double>();
    for (var i = 0; i < n + Warmup; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        if (i >= Warmup)
        {
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    return Report(name, samples);
}

static async Task<Result> MeasureAsync(string name, int n, Func<Task> action)
{
    var samples = new List<double>();
    for (var i = 0; i < n + Warmup; i++)
    {
        var watch = Stopwatch.StartNew();
        await action();
        if (i >= Warmup)
        {
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    return Report(name, samples);
}

static Result Report(string name, List<double> samples)
{
    samples.Sort();
    double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
    var result = new Result(name, At(0.50), At(0.99));
    Console.WriteLine($"{name}: n={samples.Count} p50={result.P50:F2} ms p99={result.P99:F2} ms");
    return result;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task<ConnectionMultiplexer> ConnectAsync(string connection)
{
    for (var attempt = 0; ; attempt++)
    {
        try
        {
            var mux = await ConnectionMultiplexer.ConnectAsync(connection + ",connectRetry=0");
            await mux.GetDatabase().PingAsync();
            return mux;
        }
        catch (RedisConnectionException) when (attempt < 50)
        {
            await Task.Delay(100);
        }
    }
}

internal sealed record Result(string Name, double P50, double P99);
