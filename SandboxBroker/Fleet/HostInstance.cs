using AgentCloud.SandboxBroker.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Fleet;

/// <summary>
/// Which of the brokers sharing this machine this one is. Each claims an instance number by holding an exclusive
/// lock on <c>&lt;Root&gt;/instances/&lt;n&gt;.lock</c> for its whole life (the kernel drops it when the process dies,
/// however it dies), and owns what is named after it: its root, uid share, cgroup and sockets. Whoever takes a number
/// next knows its previous holder is dead, so its start-up cleanup only ever touches a dead broker's leftovers.
/// </summary>
public sealed class HostInstance : IDisposable
{
    private readonly Lock _gate = new();
    private readonly FleetOptions _options;
    private FileStream? _claim;

    public HostInstance(IOptions<FleetOptions> options)
    {
        _options = options.Value;
        HostId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>This broker's name in the fleet: new for every process, so a restarted broker is never taken for its dead predecessor.</summary>
    public string HostId { get; }

    /// <summary>The instance number claimed (-1 before <see cref="Claim"/>).</summary>
    public int Number { get; private set; } = -1;

    public int MaxInstances => _options.MaxInstancesPerHost;

    /// <summary>Claims the lowest free instance number for the configured root; the same number on every later call.</summary>
    public int Claim(string configuredRoot)
    {
        lock (_gate)
        {
            if (_claim is not null)
            {
                return Number;
            }
            var claims = Path.Combine(Path.GetFullPath(configuredRoot), "instances"); // start-up cleanup never touches it
            Directory.CreateDirectory(claims);
            for (var n = 0; n < _options.MaxInstancesPerHost; n++)
            {
                try
                {
                    // FileShare.None is an exclusive flock on Unix: held by the open file, released by the kernel at exit.
                    _claim = new FileStream(Path.Combine(claims, $"{n}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    Number = n;
                    return n;
                }
                catch (IOException)
                {
                    // A live sibling holds it.
                }
            }
            throw new InvalidOperationException(
                $"{_options.MaxInstancesPerHost} brokers already run on this machine with root {configuredRoot}; raise SandboxBroker:Fleet:MaxInstancesPerHost or stop one.");
        }
    }

    /// <summary>The root of an instance: the configured one for the first, a sibling folder (never beneath it) for the others.</summary>
    public static string RootOf(string configuredRoot, int number) =>
        number == 0 ? configuredRoot : Path.GetFullPath(configuredRoot).TrimEnd('/') + "-" + number;

    public void Dispose()
    {
        lock (_gate)
        {
            _claim?.Dispose();
            _claim = null;
        }
    }
}
