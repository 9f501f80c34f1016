using System.Net;
using AgentCloud.SandboxBroker.Isolation;
using k8s;
using k8s.Autorest;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// The <c>kubernetes</c> level: available when the configured cluster answers, has one of the preferred RuntimeClasses
/// (gVisor or Kata) and has agent-sandbox's SandboxClaim API in the namespace. Probed at start and, while unavailable,
/// again when asked once <c>ReprobeInterval</c> has passed (one probe at a time; others get the last answer), so a
/// cluster that comes up later is used without a restart. Once available it stays so: a cluster that goes away then
/// is answered per call (503).
/// </summary>
public sealed class KubernetesLevel(KubernetesCluster cluster, ILogger<KubernetesLevel> logger, TimeProvider? time = null)
{
    public const string Name = "kubernetes";

    /// <summary>What the public API does not offer on this level (answered 501), as capabilities list it.</summary>
    public const string NotOffered = "background processes, ports, pause and resume, and file list, stat, mkdir, delete and tar";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _probing = new();
    private volatile ProbeResult? _last;

    private sealed record ProbeResult(BackendAvailability Availability, string? RuntimeClass, DateTimeOffset At);

    public BackendAvailability Probe() => Current().Availability;

    public TimeSpan ReprobeInterval => cluster.Options.ReprobeInterval;

    /// <summary>Whether a cluster is configured at all: without one no probe can ever succeed, so none is retried.</summary>
    public bool Configured => cluster.ConfigurationProblem() is null;

    /// <summary>The RuntimeClass sandbox pods run under; null where the cluster has none of the preferred ones.</summary>
    public string? RuntimeClass => Current().RuntimeClass;

    private ProbeResult Current()
    {
        var last = _last;
        if (last is not null && (last.Availability.Available || _time.GetUtcNow() - last.At < cluster.Options.ReprobeInterval))
        {
            return last;
        }
        if (!_probing.TryEnter())
        {
            return last ?? WaitForFirst();
        }
        try
        {
            var (availability, runtimeClass) = ProbeCluster(cluster, logger);
            return _last = new ProbeResult(availability, runtimeClass, _time.GetUtcNow());
        }
        finally
        {
            _probing.Exit();
        }
    }

    private ProbeResult WaitForFirst()
    {
        lock (_probing)
        {
            return _last!;
        }
    }

    private static (BackendAvailability, string?) ProbeCluster(KubernetesCluster cluster, ILogger logger)
    {
        if (cluster.ConfigurationProblem() is { } problem)
        {
            return (new(Name, false, problem), null);
        }
        var settings = cluster.Options;
        using var timeout = new CancellationTokenSource(settings.ProbeTimeout);
        try
        {
            var classes = cluster.Client.NodeV1.ListRuntimeClassAsync(cancellationToken: timeout.Token).GetAwaiter().GetResult()
                .Items.Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            var runtimeClass = settings.RuntimeClassPreference.FirstOrDefault(classes.Contains);
            if (runtimeClass is null && settings.RequireRuntimeClass)
            {
                return (new(Name, false, $"the cluster has no RuntimeClass among [{string.Join(", ", settings.RuntimeClassPreference)}] " +
                    $"(it has [{string.Join(", ", classes.Order())}]); install gVisor or Kata, or set RequireRuntimeClass=false to accept runc"), null);
            }
            cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync(AgentSandboxApi.ExtensionsGroup, AgentSandboxApi.Version, settings.Namespace,
                AgentSandboxApi.Claims, limit: 1, cancellationToken: timeout.Token).GetAwaiter().GetResult();
            return (new(Name, true, $"agent-sandbox claims in namespace {settings.Namespace}, RuntimeClass {runtimeClass ?? "none (runc)"}; not offered at this level: {NotOffered}"), runtimeClass);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return (new(Name, false, $"{AgentSandboxApi.ExtensionsGroup}/{AgentSandboxApi.Version} sandboxclaims not found in namespace {settings.Namespace}: install agent-sandbox and its extensions, and create the namespace"), null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return (new(Name, false, $"the API server refused the broker ({(int)e.Response.StatusCode}): grant it runtimeclasses list and the agent-sandbox resources in {settings.Namespace}"), null);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or k8s.Exceptions.KubeConfigException)
        {
            // The parser's message gives a line and column, never the content (which holds credentials).
            return (new(Name, false, $"the kubeconfig could not be read: {e.GetType().Name} at {(e as YamlDotNet.Core.YamlException)?.Start.ToString() ?? "its settings"}"), null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or HttpOperationException or IOException
            or k8s.Exceptions.KubernetesClientException)
        {
            logger.LogWarning(e, "Kubernetes sandbox level: the cluster did not answer the probe");
            return (new(Name, false, $"the cluster's API server did not answer within {settings.ProbeTimeout.TotalSeconds:0.#} s: {e.GetType().Name}: {e.Message}"), null);
        }
    }
}
