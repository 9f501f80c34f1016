using System.Net;

namespace AgentCloud.Faults.Harness;

/// <summary>The calls the steady traffic makes: what a tenant's agents do all day.</summary>
public enum Operation
{
    Chat,
    MemoryPut,
    MemorySearch,
    SandboxCreate,
    SandboxExec,
    UsageRead,
}

/// <summary>How a call ended, as the fault suite judges it.</summary>
public enum Verdict
{
    /// <summary>2xx within the answer deadline.</summary>
    Served,

    /// <summary>503 or 429 with Retry-After within the deadline: the client knows to come back.</summary>
    Refused,

    /// <summary>The connection was refused: the Gateway process itself was down and nothing was received.</summary>
    Unreachable,

    /// <summary>The connection was cut mid-call: the Gateway process itself died holding it.</summary>
    Cut,

    /// <summary>404 for a sandbox the broker no longer has after its restart.</summary>
    Gone,

    /// <summary>Anything else: a 5xx other than 503 with Retry-After, another 4xx, no answer, or an answer after the deadline.</summary>
    Failed,
}

/// <summary>One call of the traffic.</summary>
public sealed record CallOutcome(
    TrafficTenant Tenant, Operation Operation, HttpStatusCode? Status, bool RetryAfter, string? Problem, double Milliseconds, DateTimeOffset EndedAt,
    string? Error, Verdict Verdict)
{
    /// <summary>Whether the call may have been done upstream although its caller never saw it served (billed or not).</summary>
    public bool InDoubt => Verdict is Verdict.Failed or Verdict.Cut || Problem?.EndsWith("/upstream-unavailable", StringComparison.Ordinal) == true;

    public override string ToString() =>
        $"{Tenant.Tier} {Operation} {(Status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}{(RetryAfter ? " retry-after" : "")} {Problem} {Error} {Milliseconds:F0} ms";
}
