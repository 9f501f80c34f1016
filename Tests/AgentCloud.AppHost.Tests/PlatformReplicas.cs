using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The copies of a replicated resource (AgentCloud:Replicas): DCP runs each under an id of its own
/// (<c>gateway-abcdwxyz</c>), and the resource's name alone then names none of them.
/// </summary>
public static class PlatformReplicas
{
    /// <summary>The ids of the resource's copies (sorted); one id for a resource without copies.</summary>
    public static async Task<IReadOnlyList<string>> OfAsync(DistributedApplication app, string resource, CancellationToken cancellationToken = default)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.SingleOrDefault(r => r.Name == resource)
            ?? throw new InvalidOperationException($"No resource named {resource}.");
        var count = model.GetReplicaCount();
        // The watch replays every resource's current state first, so the copies are all seen at once once created.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        watching.CancelAfter(TimeSpan.FromSeconds(30));
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var e in app.ResourceNotifications.WatchAsync(watching.Token))
        {
            if (e.Resource.Name == resource && ids.Add(e.ResourceId) && ids.Count == count)
            {
                break;
            }
        }
        return [.. ids];
    }

    /// <summary>The current snapshot of one copy.</summary>
    public static CustomResourceSnapshot Snapshot(DistributedApplication app, string replica) =>
        app.ResourceNotifications.TryGetCurrentState(replica, out var state)
            ? state.Snapshot
            : throw new InvalidOperationException($"No resource or replica {replica}.");

    /// <summary>Waits until every copy reports healthy (waiting on the name returns when the first one does).</summary>
    public static async Task WaitUntilEveryOneHealthyAsync(DistributedApplication app, string resource, CancellationToken cancellationToken)
    {
        foreach (var replica in await OfAsync(app, resource, cancellationToken))
        {
            await app.ResourceNotifications.WaitForResourceAsync(resource,
                e => e.ResourceId == replica && e.Snapshot.HealthStatus == HealthStatus.Healthy, cancellationToken);
        }
    }
}
