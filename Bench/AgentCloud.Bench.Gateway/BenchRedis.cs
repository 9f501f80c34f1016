using System.Diagnostics;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;
using System.Globalization;

namespace AgentCloud.Bench.Gateway;

/// <summary>A redis-server child process on a random loopback port, logging to a temp folder.</summary>
internal sealed class BenchRedis : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "agentcloud-bench-redis-" + Guid.NewGuid().ToString("N"));
    private readonly int _port = LocalProcess.FreePort();
    private readonly string _password = Guid.NewGuid().ToString("N");
    private Process? _process;

    public string ConnectionString => $"127.0.0.1:{_port},password={_password},abortConnect=false";

    public string LogFile => Path.Combine(_directory, "redis.log");

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_directory);
        _process = LocalProcess.StartServer("redis-server",
            ["--port", _port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--requirepass", _password, "--save", "", "--appendonly", "no", "--logfile", LogFile]);
        await LocalProcess.WaitUntilAsync(async () =>
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",connectRetry=0");
            await probe.GetDatabase().PingAsync();
            return true;
        }, TimeSpan.FromSeconds(20), $"redis-server on port {_port}");
    }

    public string ExitReport() =>
        _process is { HasExited: true } ? $"redis-server exited with {_process.ExitCode}; log: {File.ReadAllText(LogFile)[^Math.Min(6000, File.ReadAllText(LogFile).Length)..]}" : "redis-server is running";

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder: best effort
        }
    }
}
