using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>A claimed sandbox: its claim, and the pod its execs and files go to.</summary>
public sealed record ClaimedSandbox(string ClaimName, string SandboxName, string PodName, IReadOnlyList<string> PodIps);

/// <summary>Why a claim did not become a running sandbox, or went away.</summary>
public class KubernetesSandboxException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A claim that did not become a sandbox could not be deleted either: it stays journaled until a start deletes it.</summary>
public sealed class ClaimLeftException(string claimName, Exception inner)
    : KubernetesSandboxException($"The sandbox claim {claimName} could not be deleted after a failed create: {inner.Message}", inner);

/// <summary>
/// Sandboxes as agent-sandbox claims: keeps the tier templates, warm pools and network policy applied (server-side
/// apply, so every broker replica may), claims one sandbox per lease and follows it through <see cref="ClaimStateMachine"/>,
/// and deletes it. Execs and files are <see cref="PodExec"/>'s.
/// </summary>
public sealed class KubernetesSandboxes(KubernetesCluster cluster, KubernetesLevel level, TimeProvider time, ILogger<KubernetesSandboxes> logger)
{
    private const string FieldManager = "agentcloud-sandbox-broker";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private SandboxManifests Manifests => new(cluster.Options);

    private string Namespace => cluster.Options.Namespace;

    /// <summary>Applies the network policy, then every tier's template and shared warm pool.</summary>
    public async Task ApplyTiersAsync(CancellationToken cancellationToken)
    {
        var policy = Manifests.NetworkPolicy();
        await cluster.Client.NetworkingV1.PatchNamespacedNetworkPolicyAsync(new V1Patch(policy, V1Patch.PatchType.ApplyPatch),
            policy.Metadata.Name, Namespace, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
        foreach (var tier in cluster.Options.Tiers.Keys)
        {
            await ApplyAsync(AgentSandboxApi.Templates, Manifests.Template(tier, level.RuntimeClass), cancellationToken);
            await ApplyAsync(AgentSandboxApi.WarmPools, Manifests.SharedWarmPool(tier), cancellationToken);
        }
    }

    public Task EnsureDedicatedPoolAsync(string tier, string tenantId, CancellationToken cancellationToken) =>
        ApplyAsync(AgentSandboxApi.WarmPools, Manifests.DedicatedWarmPool(tier, tenantId), cancellationToken);

    /// <summary>
    /// Claims a sandbox and waits until its pod is ready, within <c>CreateTimeout</c>. Whatever ends it early (a failed claim,
    /// the caller gone, the deadline, an API error) deletes the claim before this throws; when that delete fails too it
    /// throws <see cref="ClaimLeftException"/>, so the lease stays journaled for the next start to delete and bill.
    /// </summary>
    public async Task<ClaimedSandbox> ClaimAsync(string sandboxId, string tenantId, string tier, bool dedicated, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(cluster.Options.CreateTimeout);
        if (dedicated)
        {
            await EnsureDedicatedPoolAsync(tier, tenantId, deadline.Token);
        }
        var name = SandboxManifests.ClaimName(sandboxId);
        try
        {
            return await CreateAndWaitAsync(sandboxId, tenantId, tier, dedicated, expiresAt, deadline.Token);
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode is >= 400 and < 500 and not 409 && e.Request?.Method == HttpMethod.Post)
        {
            throw; // the create itself was refused: there is no claim to delete
        }
        catch (Exception e)
        {
            logger.LogWarning("Sandbox claim {Claim} did not become ready ({Why}); deleting it", name, e.GetType().Name);
            try
            {
                await DeleteAsync(name, CancellationToken.None);
            }
            catch (Exception cleanup) when (ClusterFaults.IsClusterFault(cleanup, CancellationToken.None))
            {
                throw new ClaimLeftException(name, cleanup);
            }
            throw;
        }
    }

    private async Task<ClaimedSandbox> CreateAndWaitAsync(string sandboxId, string tenantId, string tier, bool dedicated, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var claim = Manifests.Claim(sandboxId, tenantId, tier, dedicated, expiresAt, Environment.MachineName);
        var name = SandboxManifests.ClaimName(sandboxId);
        var machine = new ClaimStateMachine(cluster.Options, time.GetUtcNow());
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(claim, AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Version, Namespace,
            AgentSandboxApi.Claims, cancellationToken: cancellationToken);
        while (machine.State is not (ClaimState.Ready or ClaimState.Failed or ClaimState.Gone))
        {
            machine.Observe(await GetAsync(AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Claims, name, cancellationToken), time.GetUtcNow());
            if (machine.Tick(time.GetUtcNow()) is ClaimState.Pending or ClaimState.Bound)
            {
                await Task.Delay(PollInterval, time, cancellationToken);
            }
        }
        if (machine.State != ClaimState.Ready)
        {
            throw new KubernetesSandboxException($"The sandbox claim failed: {machine.Reason}.");
        }
        var sandbox = await GetAsync(AgentSandboxApi.Group, AgentSandboxApi.Sandboxes, machine.SandboxName!, cancellationToken);
        var pod = sandbox?["metadata"]?["annotations"]?[AgentSandboxApi.PodNameAnnotation]?.GetValue<string>() ?? machine.SandboxName!;
        var bound = await GetAsync(AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Claims, name, cancellationToken);
        var ips = (bound?["status"]?["sandbox"]?["podIPs"] as JsonArray)?.Select(ip => ip!.GetValue<string>()).ToList() ?? [];
        return new ClaimedSandbox(name, machine.SandboxName!, pod, ips);
    }

    /// <summary>Deletes a claim (the controller deletes its Sandbox and pod) and waits until it is gone; false when it was already.</summary>
    public async Task<bool> DeleteAsync(string claimName, CancellationToken cancellationToken)
    {
        // An API server that hangs must not hold a DELETE (or the janitor) past DeleteTimeout: the client's own timeout is 100 s per call.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(cluster.Options.DeleteTimeout + PollInterval);
        cancellationToken = deadline.Token;
        var machine = new ClaimStateMachine(cluster.Options, time.GetUtcNow());
        try
        {
            await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Version, Namespace,
                AgentSandboxApi.Claims, claimName, propagationPolicy: "Foreground", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        machine.BeginDelete(time.GetUtcNow());
        while (!machine.Final)
        {
            machine.Observe(await GetAsync(AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Claims, claimName, cancellationToken), time.GetUtcNow());
            if (machine.Tick(time.GetUtcNow()) == ClaimState.Deleting)
            {
                await Task.Delay(PollInterval, time, cancellationToken);
            }
        }
        return machine.State == ClaimState.Gone ? true : throw new KubernetesSandboxException($"The sandbox claim {claimName} was not deleted: {machine.Reason}.");
    }

    private Task ApplyAsync(string plural, JsonObject body, CancellationToken cancellationToken) =>
        cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch),
            AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Version, Namespace, plural, body["metadata"]!["name"]!.GetValue<string>(),
            fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);

    private async Task<JsonNode?> GetAsync(string group, string plural, string name, CancellationToken cancellationToken)
    {
        try
        {
            var found = await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync(group, AgentSandboxApi.Version, Namespace, plural, name, cancellationToken);
            return found is JsonElement element ? JsonNode.Parse(element.GetRawText()) : JsonSerializer.SerializeToNode(found);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
