using System.Diagnostics;
using System.Globalization;

/// <summary>
/// CPU seconds used by this process, the redis-server and the postgres server (postmaster and its backends),
/// read from /proc: on a shared, overloaded machine wall-clock rates say more about the neighbours than about us.
/// </summary>
internal sealed class CpuMeter(int redisPort, int postgresPort)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public double Seconds() => Split().Total;

    /// <summary>CPU seconds of this process, of redis-server and of postgres.</summary>
    public (double Total, double Own, double Redis, double Postgres) Split()
    {
        var own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var stats = Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsDigit))
            .Select(pid => (Pid: pid, Stat: Read($"/proc/{pid}/stat"), Cmd: Read($"/proc/{pid}/cmdline").Replace('\0', ' ')))
            .Where(p => p.Stat.Length > 0).ToList();
        var roots = stats.Where(p => p.Cmd.Contains($"redis-server", StringComparison.Ordinal) && p.Cmd.Contains($":{redisPort}", StringComparison.Ordinal)
                                  || p.Cmd.Contains("postgres", StringComparison.Ordinal) && p.Cmd.Contains($"-p {postgresPort} ", StringComparison.Ordinal))
            .Select(p => p.Pid).ToHashSet();
        double redis = 0, postgres = 0;
        foreach (var (pid, stat, cmd) in stats)
        {
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after the command: state(0) ppid(1) ... utime(11) stime(12)
            if (roots.Contains(pid) || roots.Contains(f[1]))
            {
                var seconds = (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                if (cmd.Contains("redis-server", StringComparison.Ordinal)) redis += seconds; else postgres += seconds;
            }
        }
        return (own + redis + postgres, own, redis, postgres);
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
