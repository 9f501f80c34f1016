using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Platform.Contracts;

/// <summary>
/// The HTTP headers one AgentCloud process sends and another reads (the tenant-context ones are in
/// <see cref="TenantContextHeaders"/>, the lane in <see cref="Lanes"/>).
/// </summary>
public static class PlatformHeaders
{
    /// <summary>The Gateway's id of a request, echoed to the client and carried to the services.</summary>
    public const string RequestId = "x-request-id";

    /// <summary>A client's key making a sandbox create or exec safe to retry (served once, billed once).</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>Set by the SandboxBroker on a sandbox delete: the run key it revoked, so the Gateway it passed through drops it at once.</summary>
    public const string RevokedKeys = "x-agentcloud-revoked-keys";

    /// <summary>The tool executor's injection key, which the ControlPlane checks before it reveals a vault credential.</summary>
    public const string Injector = "x-agentcloud-injector";

    /// <summary>The priority lane of an inference call.</summary>
    public const string Lane = Lanes.Header;
}
