using System.Diagnostics;
using Npgsql;
using Xunit;
using System.Globalization;

namespace AgentCloud.Tests.Shared;

/// <summary>
/// A real PostgreSQL 15 server (Debian's binaries) initialised in a temporary folder and listening on a random
/// loopback port. Postgres refuses root, so as root it runs as the <c>postgres</c> user. Tests create their own
/// databases with <see cref="CreateDatabaseAsync"/>; <see cref="StopAsync"/>/<see cref="StartAsync"/> restart it.
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "agentcloud-test-pg-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; } = LocalProcess.FreePort();

    public string Password { get; } = "pw" + Guid.NewGuid().ToString("N");

    /// <summary>Extra <c>-c name=value</c> server settings, after (so overriding) the fixture's own, e.g. <c>fsync=on</c> for a benchmark.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    public string ConnectionStringFor(string database, string user = "postgres", string? password = null) =>
        $"Host=127.0.0.1;Port={Port};Username={user};Password={password ?? Password};Database={database};Timeout=5;Pooling=true";

    public async Task InitializeAsync()
    {
        var owner = LocalProcess.RunningAsRoot ? new[] { "-o", "postgres", "-g", "postgres" } : [];
        await LocalProcess.RunAsync("install", ["-d", .. owner, "-m", "700", _dataDirectory]);
        var pwFile = _dataDirectory + ".pw";
        await File.WriteAllTextAsync(pwFile, Password + "\n");
        if (LocalProcess.RunningAsRoot)
        {
            await LocalProcess.RunAsync("chown", ["postgres", pwFile]);
        }
        var (cmd, args) = AsPostgres("initdb", "-D", _dataDirectory, "-U", "postgres", "--auth=scram-sha-256", "--pwfile=" + pwFile,
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        await LocalProcess.RunAsync(cmd, args);
        File.Delete(pwFile);
        await StartAsync();
    }

    public async Task StartAsync()
    {
        var (cmd, args) = AsPostgres("postgres", ["-D", _dataDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_connections=200", .. Settings.SelectMany(setting => new[] { "-c", setting })]);
        _process = LocalProcess.StartServer(cmd, args);
        await LocalProcess.WaitUntilAsync(async () =>
        {
            await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres") + ";Pooling=false");
            await conn.OpenAsync();
            return true;
        }, TimeSpan.FromSeconds(30), $"postgres on port {Port}");
    }

    /// <summary>Freezes the postmaster and its backends (SIGSTOP) until <see cref="ResumeAsync"/>: connections open, nothing answered.</summary>
    public async Task PauseAsync() => _paused = await ProcessPause.PauseAsync(_process!.Id);

    public async Task ResumeAsync()
    {
        await ProcessPause.ResumeAsync(_paused);
        _paused = [];
    }

    private IReadOnlyList<int> _paused = [];

    /// <summary>Stops the server: a fast shutdown, or a crash (SIGKILL) when <paramref name="crash"/> is set.</summary>
    public async Task StopAsync(bool crash = false)
    {
        await ResumeAsync(); // a frozen server would never see its shutdown signal
        if (_process is { HasExited: false })
        {
            if (crash)
            {
                _process.Kill();
            }
            else
            {
                await LocalProcess.RunAsync("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            }
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Creates a fresh database (with any extensions named, e.g. "vector") and returns its superuser connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, params string[] extensions)
    {
        name ??= "test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(ConnectionStringFor("postgres")))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        if (extensions.Length > 0)
        {
            await using var conn = new NpgsqlConnection(ConnectionStringFor(name));
            await conn.OpenAsync();
            foreach (var ext in extensions)
            {
                await using var cmd = new NpgsqlCommand($"CREATE EXTENSION IF NOT EXISTS \"{ext}\"", conn);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        return ConnectionStringFor(name);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder
        }
    }

    private static (string Command, string[] Args) AsPostgres(string binary, params string[] args) =>
        LocalProcess.RunningAsRoot
            ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(BinDirectory, binary), .. args])
            : (Path.Combine(BinDirectory, binary), args);
}
