using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AgentCloud.SandboxBroker;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.ServiceDefaults.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// Sandbox latency on this machine, in one run: a raw bwrap start is the baseline every figure is divided by.
const int Iterations = 200;
const int Warmup = 10;

var redisPort = FreePort();
using var redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
{
    RedirectStandardOutput = true, UseShellExecute = false,
})!;
try
{
    await using var mux = await ConnectAsync($"127.0.0.1:{redisPort},abortConnect=false");
    var caller = new TenantContext("bench-tenant", "pro", "key:bench", ["sandbox"]);
    var policy = new TenantPolicy { TenantId = caller.TenantId, Tier = "pro", MaxConcurrentSandboxes = 1000, SandboxIsolationLevels = ["bubblewrap"] };

    var raw = Measure("raw bwrap /bin/true", Iterations, () => RunRawBwrap());

    await using var cold = Broker(mux, poolSize: 0, uidBase: 820_000);
    var coldManager = cold.GetRequiredService<SandboxManager>();
    var coldRun = await MeasureAsync("cold create + exec true + delete", Iterations, async () =>
    {
        var sandbox = coldManager.Create(caller, policy, new CreateSandboxRequest(null, null, null));
        await coldManager.ExecAsync(sandbox, new ExecRequest(["true"], null, null, null), CancellationToken.None);
        await coldManager.ReleaseAsync(sandbox, "ok");
    });

    await using var warm = Broker(mux, poolSize: 32, uidBase: 830_000);
    var warmManager = warm.GetRequiredService<SandboxManager>();
    var pools = warm.GetRequiredService<WarmPools>();
    pools.RegisterSharedPools();
    pools.Refill();
    var acquire = new List<double>();
    for (var i = 0; i < Iterations + Warmup; i++)
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
    var warmAcquire = Report("warm-pool acquire", acquire);

    var held = warmManager.Create(caller, policy, new CreateSandboxRequest(null, null, null));
    var execRun = await MeasureAsync("exec true on a warm sandbox", Iterations, () =>
        warmManager.ExecAsync(held, new ExecRequest(["true"], null, null, null), CancellationToken.None));
    await warmManager.ReleaseAsync(held, "ok");
    foreach (var provider in new[] { cold, warm })
    {
        provider.GetRequiredService<WarmPools>().DrainAll();
        Directory.Delete(provider.GetRequiredService<SlotLayout>().Root, recursive: true);
    }

    Console.WriteLine();
    Console.WriteLine($"{"measure",-36} {"p50 ms",9} {"p99 ms",9} {"p50 / raw bwrap",16}");
    foreach (var m in new[] { raw, coldRun, warmAcquire, execRun })
    {
        Console.WriteLine($"{m.Name,-36} {m.P50,9:F2} {m.P99,9:F2} {m.P50 / raw.P50,15:F2}x");
    }
    Console.WriteLine();
    Console.WriteLine($"target warm acquire p50 <= 5 ms: {(warmAcquire.P50 <= 5 ? "met" : "NOT met")} ({warmAcquire.P50:F2} ms)");
    Console.WriteLine($"target exec round trip p50 <= 3 x raw bwrap: {(execRun.P50 <= 3 * raw.P50 ? "met" : "NOT met")} ({execRun.P50 / raw.P50:F2} x)");
    Console.WriteLine("anchors (published): agent-sandbox warm claim ~320 ms; gVisor cold start ~100 ms; Firecracker boot <= 125 ms");
}
finally
{
    redis.Kill();
}

static ServiceProvider Broker(IConnectionMultiplexer mux, int poolSize, int uidBase)
{
    var services = new ServiceCollection();
    services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
    services.AddMetrics();
    services.AddSingleton(mux);
    services.AddSingleton(Options.Create(new SandboxBrokerOptions
    {
        Root = Path.Combine(Path.GetTempPath(), $"agentcloud-bench-{uidBase}"),
        SharedPoolSize = poolSize,
        UidBase = uidBase,
        UidCount = 5000,
    }));
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
