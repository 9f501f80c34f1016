using System.Text.Json;
using k8s.Autorest;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>Which failures mean "the cluster did not answer as it should" (503 Busy, retry), as opposed to a broker bug.</summary>
public static class ClusterFaults
{
    /// <summary>
    /// An API error, a transport or WebSocket failure, an unreadable answer, or a timeout that was not the caller's own
    /// cancellation (the client's HTTP timeout or a deadline of ours).
    /// </summary>
    public static bool IsClusterFault(Exception e, CancellationToken caller) => e switch
    {
        OperationCanceledException => !caller.IsCancellationRequested,
        KubernetesSandboxException or HttpOperationException or HttpRequestException or k8s.Exceptions.KubernetesClientException
            or JsonException or IOException or System.Net.WebSockets.WebSocketException or TimeoutException => true,
        _ => false,
    };
}
