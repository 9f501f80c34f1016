using AgentCloud.AppHost.Tests;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentCloud.Faults.Harness;

/// <summary>
/// The faults themselves, done to the AppHost's own resources as an operator's bad day would: a process frozen
/// (SIGSTOP/SIGCONT), or killed (SIGKILL, with its children: a postmaster's backends, the app under `dotnet run`)
/// and started again through Aspire's own start command, as the dashboard's "Start" button does. A replicated
/// service is killed whole (every copy) or one copy at a time.
/// </summary>
public sealed class PlatformResources(DistributedApplication app)
{
    private static readonly TimeSpan StateDeadline = TimeSpan.FromSeconds(60);

    /// <summary>The ids of the resource's running copies (<see cref="PlatformReplicas"/>): one for a resource without replicas.</summary>
    public Task<IReadOnlyList<string>> ReplicasAsync(string resource) => PlatformReplicas.OfAsync(app, resource);

    /// <summary>A copy's process as DCP reports it (the snapshot property "executable.pid", projects too).</summary>
    public int ProcessId(string replica)
    {
        var snapshot = PlatformReplicas.Snapshot(app, replica);
        var pid = snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        return pid switch
        {
            int i => i,
            long l => (int)l,
            string s when int.TryParse(s, out var parsed) => parsed,
            _ => throw new InvalidOperationException($"{replica} reports no process id ({snapshot.State?.Text})."),
        };
    }

    public async Task<IReadOnlyList<int>> PauseAsync(string resource) => await ProcessPause.PauseAsync(ProcessId((await ReplicasAsync(resource)).Single()));

    public Task ResumeAsync(IReadOnlyList<int> paused) => ProcessPause.ResumeAsync(paused);

    /// <summary>SIGKILL to the process tree of every copy of the resource (the service is down); returns once DCP has seen them end.</summary>
    public async Task KillAsync(string resource) => await KillReplicasAsync(resource, await ReplicasAsync(resource));

    /// <summary>SIGKILL to one copy of a replicated service (index 0, 1, … in the order of their ids); the others keep running.</summary>
    public async Task KillReplicaAsync(string resource, int index) => await KillReplicasAsync(resource, [(await ReplicasAsync(resource))[index]]);

    private async Task KillReplicasAsync(string resource, IReadOnlyList<string> replicas)
    {
        var trees = replicas.Select(r => ProcessTree.Of(ProcessId(r))).ToList();
        foreach (var pid in trees.SelectMany(t => t))
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
        foreach (var replica in replicas)
        {
            await app.ResourceNotifications.WaitForResourceAsync(resource,
                e => e.ResourceId == replica && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), deadline.Token);
        }
        // Nothing of the old trees may hold a port, a data folder or shared memory when the new ones start.
        while (trees.SelectMany(t => t).Any(ProcessTree.IsAlive))
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Starts every stopped copy of the resource again and waits until each reports healthy.</summary>
    public async Task StartAsync(string resource) => await StartReplicasAsync(resource, await ReplicasAsync(resource));

    public async Task StartReplicaAsync(string resource, int index) => await StartReplicasAsync(resource, [(await ReplicasAsync(resource))[index]]);

    private async Task StartReplicasAsync(string resource, IReadOnlyList<string> replicas)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        foreach (var replica in replicas)
        {
            var result = await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand);
            if (!result.Success)
            {
                throw new InvalidOperationException($"Starting {replica} failed: {result.Message}");
            }
        }
        using var deadline = new CancellationTokenSource(StateDeadline);
        foreach (var replica in replicas)
        {
            await app.ResourceNotifications.WaitForResourceAsync(resource,
                e => e.ResourceId == replica && e.Snapshot.HealthStatus == HealthStatus.Healthy, deadline.Token);
        }
    }

    public Task WaitForEveryReplicaHealthyAsync(string resource, CancellationToken cancellationToken) =>
        PlatformReplicas.WaitUntilEveryOneHealthyAsync(app, resource, cancellationToken);
}
