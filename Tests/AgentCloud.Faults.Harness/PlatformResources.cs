using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Faults.Harness;

/// <summary>
/// The faults themselves, done to the AppHost's own resources as an operator's bad day would: a process frozen
/// (SIGSTOP/SIGCONT), or killed (SIGKILL, with its children: a postmaster's backends, the app under `dotnet run`)
/// and started again through Aspire's own start command, as the dashboard's "Start" button does.
/// </summary>
public sealed class PlatformResources(DistributedApplication app)
{
    private static readonly TimeSpan StateDeadline = TimeSpan.FromSeconds(60);

    /// <summary>The resource's process as DCP reports it (the snapshot property "executable.pid", projects too).</summary>
    public int ProcessId(string resource)
    {
        if (!app.ResourceNotifications.TryGetCurrentState(resource, out var state))
        {
            throw new InvalidOperationException($"No resource named {resource}.");
        }
        var pid = state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        return pid switch
        {
            int i => i,
            long l => (int)l,
            string s when int.TryParse(s, out var parsed) => parsed,
            _ => throw new InvalidOperationException($"{resource} reports no process id ({state.Snapshot.State?.Text})."),
        };
    }

    public async Task<IReadOnlyList<int>> PauseAsync(string resource) => await ProcessPause.PauseAsync(ProcessId(resource));

    public Task ResumeAsync(IReadOnlyList<int> paused) => ProcessPause.ResumeAsync(paused);

    /// <summary>SIGKILL to the resource's process tree; returns once DCP has seen it end.</summary>
    public async Task KillAsync(string resource)
    {
        var root = ProcessId(resource);
        var tree = ProcessTree.Of(root);
        foreach (var pid in tree)
        {
            // A short-lived child (a sandbox's command) may end on its own between listing the tree and this kill.
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException && !ProcessTree.IsAlive(pid))
            {
            }
        }
        using var deadline = new CancellationTokenSource(StateDeadline);
        await app.ResourceNotifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), deadline.Token);
        // Nothing of the old tree may hold a port, a data folder or shared memory when the new one starts.
        while (tree.Any(ProcessTree.IsAlive))
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Starts a stopped resource again and waits until it reports healthy.</summary>
    public async Task StartAsync(string resource)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Starting {resource} failed: {result.Message}");
        }
        using var deadline = new CancellationTokenSource(StateDeadline);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, deadline.Token);
    }
}
