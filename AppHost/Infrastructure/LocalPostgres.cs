using System.Diagnostics;
using System.Globalization;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>
/// Prepares a local Postgres data folder before the server starts: initdb on first use, then (in single-user
/// mode, so no server or socket is needed) sets the superuser password for this run and creates the databases
/// and extensions that are missing. Postgres refuses to run as root, so as root everything runs as <c>postgres</c>.
/// </summary>
public sealed class LocalPostgres(string binDirectory, string dataDirectory)
{
    public const string SystemUser = "postgres";

    public static bool RunningAsRoot => Environment.UserName == "root";

    public string DataDirectory { get; } = dataDirectory;

    /// <summary>The program and leading arguments that run a Postgres binary as the right user.</summary>
    public (string Command, string[] Args) Command(string binary, params string[] args) =>
        RunningAsRoot
            ? ("setpriv", ["--reuid=" + SystemUser, "--regid=" + SystemUser, "--init-groups", Path.Combine(binDirectory, binary), .. args])
            : (Path.Combine(binDirectory, binary), args);

    public async Task PrepareAsync(string password, IEnumerable<string> databases, IReadOnlyDictionary<string, string[]> extensions, CancellationToken ct)
    {
        StopOrphanedServer();
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await InitDbAsync(password, ct);
        }
        var script = new List<string> { $"ALTER USER postgres PASSWORD '{password.Replace("'", "''")}'" };
        // "already exists" errors are printed and skipped: single-user mode runs each line on its own.
        script.AddRange(databases.Select(db => $"CREATE DATABASE \"{db}\""));
        await SingleUserAsync("postgres", script, ct);
        foreach (var (db, exts) in extensions)
        {
            await SingleUserAsync(db, exts.Select(e => $"CREATE EXTENSION IF NOT EXISTS \"{e}\"").ToList(), ct);
        }
    }

    private async Task InitDbAsync(string password, CancellationToken ct)
    {
        CreateOwnedDirectory(DataDirectory);
        var pwFile = Path.Combine(Path.GetTempPath(), $"agentcloud-pg-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(pwFile, password + "\n", ct);
        try
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pwFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (RunningAsRoot)
            {
                await RunAsync("chown", [SystemUser, pwFile], null, ct);
            }
            var (cmd, args) = Command("initdb", "-D", DataDirectory, "-U", "postgres", "--auth-host=scram-sha-256",
                "--auth-local=peer", "--pwfile=" + pwFile, "-E", "UTF8", "--locale=C.UTF-8");
            await RunAsync(cmd, args, null, ct);
        }
        finally
        {
            File.Delete(pwFile);
        }
    }

    private Task SingleUserAsync(string database, IReadOnlyList<string> statements, CancellationToken ct)
    {
        var (cmd, args) = Command("postgres", "--single", "-D", DataDirectory, database);
        return RunAsync(cmd, args, string.Join('\n', statements) + "\n", ct);
    }

    /// <summary>An AppHost killed hard can leave its Postgres running on our data folder; stop it before we start ours.</summary>
    private void StopOrphanedServer()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.ProcessName.StartsWith("postgres", StringComparison.Ordinal))
            {
                return; // stale pid file; postgres itself removes it
            }
            Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            process.WaitForExit(TimeSpan.FromSeconds(15));
        }
        catch (ArgumentException)
        {
            // no such process: the pid file is stale
        }
    }

    private static void CreateOwnedDirectory(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var args = RunningAsRoot ? new[] { "-d", "-o", SystemUser, "-g", SystemUser, "-m", "700", path } : ["-d", "-m", "700", path];
        using var install = Process.Start("install", args)!;
        install.WaitForExit();
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not create the Postgres data folder {path}.");
        }
    }

    private static async Task RunAsync(string command, IEnumerable<string> args, string? stdin, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(command)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', psi.ArgumentList.Where(a => !a.StartsWith("--pwfile", StringComparison.Ordinal)))} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
