using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.SandboxBroker.Credentials;

/// <summary>Where run keys come from and how they are ended (the ControlPlane in the platform).</summary>
public interface IRunCredentials
{
    /// <summary>Mints a key for the caller's run, asked in the caller's own tenant context.</summary>
    Task<RunKey> MintAsync(TenantContext caller, string runId, IReadOnlyList<string>? capabilities, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>Revokes the run's keys at once, in the context of the caller deleting the sandbox.</summary>
    Task RevokeAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Says that a run ended without a caller (idle, lifetime, offboarding, shutdown); its keys are revoked.</summary>
    Task AnnounceEndedAsync(string tenantId, string runId);

    /// <summary>
    /// Says that a run ended in a broker that crashed, on the durable control-event stream; throws when that could not
    /// be done, so the restarted broker keeps the lease in its journal and says it again later.
    /// </summary>
    Task AnnounceRecoveredEndAsync(string tenantId, string runId);
}

/// <summary>The run key could not be obtained: the sandbox is not handed out without one (503, retry shortly).</summary>
public sealed class RunKeyUnavailableException(string message, Exception? inner = null)
    : Refusal(StatusCodes.Status503ServiceUnavailable, "run-key-unavailable", "Cannot issue the run's key right now",
        $"{message} The sandbox was not created; retry shortly.", TimeSpan.FromSeconds(2), inner);
