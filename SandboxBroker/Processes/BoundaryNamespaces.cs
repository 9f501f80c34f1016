using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// A boundary's namespaces and root, held open by the broker from the boundary's start. A join enters them through the
/// broker's own descriptors (<c>/proc/&lt;broker&gt;/fd/N</c>), never through the init's pid, so a pid the kernel has
/// reused can never be joined. A descriptor is closed only when the boundary has stopped and no join that named it is
/// still starting, so its number cannot meanwhile name another boundary's namespace.
/// </summary>
public sealed class BoundaryNamespaces
{
    private static readonly (string Kind, string Option)[] Kinds =
        [("user", "--user"), ("mnt", "--mount"), ("pid", "--pid"), ("net", "--net"), ("ipc", "--ipc"), ("uts", "--uts"), ("cgroup", "--cgroup")];

    private readonly Lock _lock = new();
    private readonly List<(string Option, int Fd)> _held;
    private int _joins;
    private bool _stopped;

    private BoundaryNamespaces(List<(string Option, int Fd)> held) => _held = held;

    /// <summary>Opens every namespace and the root of that process; null when one cannot be opened (it is gone).</summary>
    public static BoundaryNamespaces? Open(int pid)
    {
        var held = new List<(string Option, int Fd)>();
        foreach (var (kind, option) in Kinds)
        {
            held.Add((option, Libc.Open($"/proc/{pid}/ns/{kind}", Libc.O_RDONLY | Libc.O_CLOEXEC, 0)));
        }
        held.Add(("--root", Libc.Open($"/proc/{pid}/root", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0)));
        if (held.All(h => h.Fd >= 0))
        {
            return new BoundaryNamespaces(held);
        }
        foreach (var (_, fd) in held.Where(h => h.Fd >= 0))
        {
            Libc.Close(fd);
        }
        return null;
    }

    /// <summary>
    /// nsenter's options naming the held descriptors, for one join; null once the boundary has stopped. The caller
    /// calls <see cref="EndJoin"/> when that join's launch is over (it has entered, or failed to).
    /// </summary>
    public IReadOnlyList<string>? BeginJoin()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return null;
            }
            _joins++;
            var self = Environment.ProcessId;
            return _held.Select(h => $"{h.Option}=/proc/{self}/fd/{h.Fd}").ToList();
        }
    }

    public void EndJoin()
    {
        lock (_lock)
        {
            _joins--;
            CloseIfUnused();
        }
    }

    /// <summary>The boundary stopped: no join starts from now on, and the descriptors close once the last started one is over.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            CloseIfUnused();
        }
    }

    private void CloseIfUnused()
    {
        if (!_stopped || _joins > 0)
        {
            return;
        }
        foreach (var (_, fd) in _held)
        {
            Libc.Close(fd);
        }
        _held.Clear();
    }
}
