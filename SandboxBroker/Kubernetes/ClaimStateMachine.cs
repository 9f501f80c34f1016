using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Extensions;
using k8s;

namespace AgentCloud.SandboxBroker.Kubernetes;

public enum ClaimState
{
    Pending,
    Bound,
    Ready,
    Deleting,
    Gone,
    Failed,
}

/// <summary>
/// One SandboxClaim as the broker sees it: Pending (created) → Bound (the controller named its Sandbox) → Ready (its
/// pod runs) → Deleting → Gone, or Failed with a reason (timed out, expired, no longer ready, deleted by someone else).
/// Fed watch events or fetched objects, and the time; it never goes back, and Gone and Failed are final.
/// </summary>
public sealed class ClaimStateMachine(KubernetesSandboxOptions options, DateTimeOffset createdAt)
{
    private DateTimeOffset _since = createdAt;

    public ClaimState State { get; private set; } = ClaimState.Pending;

    public string? Reason { get; private set; }

    /// <summary>The Sandbox the controller made for the claim, once bound.</summary>
    public string? SandboxName { get; private set; }

    public bool Final => State is ClaimState.Gone or ClaimState.Failed;

    public ClaimState Apply(WatchEventType type, JsonNode? claim, DateTimeOffset now) => type switch
    {
        WatchEventType.Deleted => Observe(null, now),
        WatchEventType.Error => Fail($"the watch reported an error: {claim?["message"]?.GetValue<string>() ?? "no message"}", now),
        _ => Observe(claim, now),
    };

    /// <summary>The claim as last read, or null once the API answers 404.</summary>
    public ClaimState Observe(JsonNode? claim, DateTimeOffset now)
    {
        if (Final)
        {
            return State;
        }
        if (claim is null)
        {
            return State == ClaimState.Deleting ? Move(ClaimState.Gone, now) : Fail("the claim was deleted outside the broker", now);
        }
        if (claim["metadata"]?["deletionTimestamp"] is not null)
        {
            return State == ClaimState.Deleting ? State : Move(ClaimState.Deleting, now);
        }
        if (State == ClaimState.Deleting)
        {
            return State;
        }
        var ready = Condition(claim, AgentSandboxApi.ReadyCondition);
        var status = ready?["status"]?.GetValue<string>();
        var reason = ready?["reason"]?.GetValue<string>();
        if (reason is "ClaimExpired" or "SandboxExpired")
        {
            return Fail($"expired ({reason})", now);
        }
        if (claim["status"]?["sandbox"]?["name"]?.GetValue<string>() is { Length: > 0 } sandbox)
        {
            SandboxName = sandbox;
            if (State == ClaimState.Pending)
            {
                Move(ClaimState.Bound, now);
            }
        }
        if (status == "True" && State == ClaimState.Bound)
        {
            return Move(ClaimState.Ready, now);
        }
        if (status == "False" && State == ClaimState.Ready)
        {
            return Fail($"its sandbox is no longer ready: {reason ?? "no reason"}: {ready?["message"]?.GetValue<string>() ?? ""}".TrimEnd(' ', ':'), now);
        }
        return State;
    }

    /// <summary>The broker asked for the claim's deletion.</summary>
    public ClaimState BeginDelete(DateTimeOffset now) => Final || State == ClaimState.Deleting ? State : Move(ClaimState.Deleting, now);

    /// <summary>Fails a state held past its timeout: unbound past BindTimeout, bound but not ready past ReadyTimeout, not gone past DeleteTimeout.</summary>
    public ClaimState Tick(DateTimeOffset now)
    {
        var (limit, what) = State switch
        {
            ClaimState.Pending => (options.BindTimeout, "bound to a sandbox"),
            ClaimState.Bound => (options.ReadyTimeout, "ready"),
            ClaimState.Deleting => (options.DeleteTimeout, "deleted"),
            _ => (TimeSpan.MaxValue, ""),
        };
        return limit != TimeSpan.MaxValue && now - _since > limit
            ? Fail($"not {what} within {limit.TotalSeconds:0} s (state {State})", now)
            : State;
    }

    private static JsonNode? Condition(JsonNode claim, string type) =>
        (claim["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => c?["type"]?.GetValue<string>() == type);

    private ClaimState Fail(string reason, DateTimeOffset now)
    {
        Reason = reason;
        return Move(ClaimState.Failed, now);
    }

    private ClaimState Move(ClaimState state, DateTimeOffset now)
    {
        State = state;
        _since = now;
        return state;
    }
}
