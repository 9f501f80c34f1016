using System.Globalization;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Exec;

/// <summary>
/// Descriptors the broker inherited from whatever started it (a pipe of the AppHost, a log file) lack close-on-exec,
/// so every child would carry them into its sandbox. Marking them close-on-exec before a launch leaves a sandbox with
/// stdin, stdout and stderr only; the broker's own descriptors already have the flag.
/// </summary>
public static class InheritedDescriptors
{
    public static void CloseOnExec()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2)
            {
                var flags = Libc.Fcntl(fd, Libc.F_GETFD, 0);
                if (flags >= 0 && (flags & Libc.FD_CLOEXEC) == 0)
                {
                    Libc.Fcntl(fd, Libc.F_SETFD, flags | Libc.FD_CLOEXEC);
                }
            }
        }
    }
}
