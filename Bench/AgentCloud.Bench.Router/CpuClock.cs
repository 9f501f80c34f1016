using System.Diagnostics;
using System.Globalization;

/// <summary>
/// CPU seconds used by this process (client, simulator, hop and router all live here) and by the bench's redis-server,
/// read from /proc. On a shared machine a rate says as much about the neighbours as about us; CPU per call does not.
/// </summary>
internal sealed class CpuClock(int redisPort)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly string? _redisStat = FindRedis(redisPort);

    public double Seconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds + RedisSeconds();

    private double RedisSeconds()
    {
        if (_redisStat is null || !File.Exists(_redisStat))
        {
            return 0;
        }
        var stat = File.ReadAllText(_redisStat);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state(0) ppid(1) … utime(11) stime(12).
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    private static string? FindRedis(int port)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            var cmdline = Path.Combine(dir, "cmdline");
            try
            {
                var cmd = File.ReadAllText(cmdline).Replace('\0', ' ');
                if (cmd.Contains("redis-server", StringComparison.Ordinal) && cmd.Contains($" {port} ", StringComparison.Ordinal))
                {
                    return Path.Combine(dir, "stat");
                }
            }
            catch (IOException)
            {
                // the process ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
                // not ours to read
            }
        }
        return null;
    }
}
