using System.Diagnostics.Metrics;

namespace AgentCloud.Gateway.Telemetry;

/// <summary>The Gateway's own counters (meter <c>AgentCloud.Gateway</c>).</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "AgentCloud.Gateway";
    public const string FailOpenCounter = "agentcloud.gateway.ratelimit.fail_open";
    public const string FailClosedCounter = "agentcloud.gateway.ratelimit.fail_closed";
    public const string RejectedCounter = "agentcloud.gateway.ratelimit.rejected";
    public const string AuthFailureCounter = "agentcloud.gateway.auth.failures";

    private readonly Counter<long> _failOpen;
    private readonly Counter<long> _failClosed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _authFailures;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _failOpen = meter.CreateCounter<long>(FailOpenCounter, description: "Requests let through because Redis could not decide a rate limit in time");
        _failClosed = meter.CreateCounter<long>(FailClosedCounter, description: "Requests refused because Redis could not decide a rate limit in time");
        _rejected = meter.CreateCounter<long>(RejectedCounter, description: "Requests refused with 429");
        _authFailures = meter.CreateCounter<long>(AuthFailureCounter, description: "Calls refused for a missing, malformed, unknown or revoked key");
    }

    public void FailedOpen(string tier) => _failOpen.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void FailedClosed(string tier) => _failClosed.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void Rejected(string tier) => _rejected.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void AuthFailed(string reason) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
