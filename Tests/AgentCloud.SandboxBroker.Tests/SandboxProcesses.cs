using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Isolation.Gvisor;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// What a sandbox runs, seen from the host at any level: tenant code is host processes of the slot's uid, except under
/// gVisor, where it lives inside the user-space kernel and only runsc's own processes are on the host.
/// </summary>
public static class SandboxProcesses
{
    public static GvisorBackend Gvisor(this BrokerFactory broker) => broker.Services.GetServices<ISandboxBackend>().OfType<GvisorBackend>().Single();

    /// <summary>The host processes that would have to die for the sandbox to stop running anything.</summary>
    public static IReadOnlyList<int> OnHost(BrokerFactory broker, SandboxSlot slot) => slot.Level == IsolationLevels.Gvisor
        ? RunscProcesses.Find(broker.Gvisor().RunscFor(slot).StateRoot)
        : SlotProcesses.Find(slot.Uid);

    /// <summary>
    /// A gVisor slot's own host processes (sentry, gofer, ptrace stubs), without the broker's <c>runsc exec</c> clients
    /// that wait on its execs and background processes from the broker's side (one each, none of them tenant code).
    /// </summary>
    public static IReadOnlyList<int> SandboxRuntimeOnHost(BrokerFactory broker, SandboxSlot slot) =>
        OnHost(broker, slot).Where(pid => !IsRunscExecClient(pid)).ToList();

    private static bool IsRunscExecClient(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Skip(1).Contains("exec");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The commands of tenant code now running (not the sandbox's own idle init).</summary>
    public static IReadOnlyList<string> TenantCommands(BrokerFactory broker, SandboxSlot slot)
    {
        if (slot.Level != IsolationLevels.Gvisor)
        {
            return SlotProcesses.Find(slot.Uid).Select(pid => File.Exists($"/proc/{pid}/comm") ? File.ReadAllText($"/proc/{pid}/comm").Trim() : "?").ToList();
        }
        var runsc = broker.Gvisor().RunscFor(slot);
        // Columns: UID PID PPID C TTY STIME TIME CMD; the slot's uid marks tenant code, uid 0 the idle init.
        return Runsc.Output(runsc.Command("ps", slot.SlotId), TimeSpan.FromSeconds(10)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cols => cols.Length >= 8 && cols[0] == slot.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(cols => cols[^1]).ToList();
    }
}
