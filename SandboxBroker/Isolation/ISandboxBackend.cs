using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>One rung of the isolation ladder: knows whether it runs here and how to start a command inside a sandbox.</summary>
public interface ISandboxBackend
{
    string Level { get; }

    /// <summary>Checks the host (binary present, kernel features, a trial run). Called once at start.</summary>
    BackendAvailability Probe();

    ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec);
}
