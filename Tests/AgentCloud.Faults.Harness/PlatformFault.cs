namespace AgentCloud.Faults.Harness;

/// <summary>
/// One fault: what is done to the platform, and how it is undone. <see cref="InjectAsync"/> returns the undo, which
/// the runner calls after <see cref="Hold"/> (a killed service is started again at once: its restart is the outage).
/// </summary>
public sealed record PlatformFault(string Name, TimeSpan Hold, Func<PlatformResources, Task<Func<Task>>> InjectAsync, bool GatewayDown = false, bool BrokerRestarted = false)
{
    public override string ToString() => Name;

    public static PlatformFault RedisFrozen(TimeSpan hold) => new($"redis frozen {hold.TotalSeconds:0} s", hold, async r =>
    {
        var paused = await r.PauseAsync("redis-server");
        return () => r.ResumeAsync(paused);
    });

    public static PlatformFault Killed(string resource, TimeSpan hold) => new($"{resource} killed, restarted after {hold.TotalSeconds:0} s", hold, async r =>
    {
        await r.KillAsync(resource);
        return () => r.StartAsync(resource);
    });

    public static PlatformFault ServiceKilled(string service) => new($"{service} killed, restarted", TimeSpan.Zero, async r =>
    {
        await r.KillAsync(service);
        return () => r.StartAsync(service);
    }, GatewayDown: service == "gateway", BrokerRestarted: service == "sandbox-broker");

    /// <summary>
    /// One copy of a replicated service killed and started again: the other copy carries the traffic meanwhile. Calls
    /// in flight on the killed Gateway copy lose their connection, as they would on any host that dies; a killed broker
    /// copy's sandboxes are lost (410), the survivor serves its own, and the restarted copy bills the lost leases once.
    /// </summary>
    public static PlatformFault ReplicaKilled(string service) => new($"{service} replica killed, restarted", TimeSpan.Zero, async r =>
    {
        await r.KillReplicaAsync(service, 0);
        return () => r.StartReplicaAsync(service, 0);
    }, GatewayDown: service == "gateway", BrokerRestarted: service == "sandbox-broker");

    /// <summary>
    /// Every fault of the suite, in the order it runs them: the stores first, then each service, a replicated one by
    /// one copy killed (every copy down at once leaves DCP's local proxy holding connections with nothing behind it, a
    /// property of the local proxy rather than of the platform).
    /// </summary>
    public static IReadOnlyList<PlatformFault> All(TimeSpan hold) =>
    [
        RedisFrozen(hold),
        Killed("redis-server", hold),
        Killed("postgres", hold),
        .. FaultPlatform.Services.Select(s => FaultPlatform.Replicated.Contains(s) ? ReplicaKilled(s) : ServiceKilled(s)),
    ];
}
