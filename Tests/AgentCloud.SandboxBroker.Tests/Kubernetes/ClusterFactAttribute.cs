namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>A test against a real cluster: runs when <see cref="Variable"/> names a kubeconfig, else is reported skipped saying how to run it.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public const string Variable = "AGENTCLOUD_TEST_KUBECONFIG";

    public ClusterFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Kubernetes cluster tests skipped: set {Variable}=<kubeconfig path> (a cluster with agent-sandbox and its extensions installed, " +
                "a gVisor or Kata RuntimeClass, a NetworkPolicy-enforcing CNI, and the namespace in AGENTCLOUD_TEST_KUBE_NAMESPACE, default agentcloud-sandboxes) to run them";
        }
    }
}
