namespace AgentCloud.Platform.Contracts;

/// <summary>
/// What the Gateway and the SandboxBroker must agree on about execs: the longest the broker allows by default, which
/// the Gateway's exec route must outwait (its idle timeout is this plus a margin) so a long exec is never a 504.
/// </summary>
public static class SandboxExecLimits
{
    public const int DefaultMaxExecTimeoutSeconds = 900;
}
