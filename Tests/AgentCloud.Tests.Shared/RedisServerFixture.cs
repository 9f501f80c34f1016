using System.Diagnostics;
using StackExchange.Redis;
using Xunit;
using System.Globalization;

namespace AgentCloud.Tests.Shared;

/// <summary>
/// A real redis-server on a random loopback port, for the lifetime of a test class or collection.
/// Can be stopped and started again on the same port to test behaviour while Redis is down.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; } = LocalProcess.FreePort();

    public string Password { get; } = "test-" + Guid.NewGuid().ToString("N");

    /// <summary>A StackExchange.Redis connection string, as services get it from the AppHost.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    /// <summary>When set, an append-only file fsync'd on every write keeps the data there across a kill and restart.</summary>
    public string? DataDirectory { get; init; }

    public async Task InitializeAsync()
    {
        await StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
    }

    public async Task StartAsync()
    {
        string[] persistence = DataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", DataDirectory];
        _process = LocalProcess.StartServer("redis-server",
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--requirepass", Password, "--save", "", .. persistence]);
        await LocalProcess.WaitUntilAsync(async () =>
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",connectRetry=0");
            await probe.GetDatabase().PingAsync();
            return true;
        }, TimeSpan.FromSeconds(20), $"redis-server on port {Port}");
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing is answered, until <see cref="ResumeAsync"/>.</summary>
    public async Task PauseAsync() => _paused = await ProcessPause.PauseAsync(_process!.Id);

    public async Task ResumeAsync()
    {
        await ProcessPause.ResumeAsync(_paused);
        _paused = [];
    }

    private IReadOnlyList<int> _paused = [];

    /// <summary>Kills the server (as a crash would); <see cref="StartAsync"/> brings it back empty on the same port.</summary>
    public async Task StopAsync()
    {
        await ResumeAsync(); // a frozen server would never see its shutdown signal
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        Connection?.Dispose();
        await StopAsync();
    }
}
