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
public class KubernetesSandboxException(string message) : Exception(message);

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

    /// <summary>Claims a sandbox and waits until its pod is ready; a claim that fails on the way is deleted before this throws.</summary>
    public async Task<ClaimedSandbox> ClaimAsync(string sandboxId, string tenantId, string tier, bool dedicated, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (dedicated)
        {
            await EnsureDedicatedPoolAsync(tier, tenantId, cancellationToken);
        }
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
            logger.LogWarning("Sandbox claim {Claim} failed: {Reason}", name, machine.Reason);
            await DeleteAsync(name, CancellationToken.None);
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
