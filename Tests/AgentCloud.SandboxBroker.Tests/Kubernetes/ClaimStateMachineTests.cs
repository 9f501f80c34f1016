using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Extensions;
using AgentCloud.SandboxBroker.Kubernetes;
using k8s;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>A claim's life, driven by watch events and fetched objects shaped as agent-sandbox's controller writes them.</summary>
public sealed class ClaimStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 15, 0, 0, TimeSpan.Zero);
    private static readonly KubernetesSandboxOptions Options = new()
    {
        BindTimeout = TimeSpan.FromSeconds(30), ReadyTimeout = TimeSpan.FromSeconds(60), DeleteTimeout = TimeSpan.FromSeconds(20),
    };

    private static ClaimStateMachine NewClaim() => new(Options, T0);

    private static JsonNode Claim(string? sandbox = null, string? ready = null, string? reason = null, bool deleting = false)
    {
        var claim = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "agentcloud-sbx-1" }, ["status"] = new JsonObject() };
        if (deleting)
        {
            claim["metadata"]!["deletionTimestamp"] = "2026-12-01T15:01:00Z";
        }
        if (sandbox is not null)
        {
            claim["status"]!["sandbox"] = new JsonObject { ["name"] = sandbox, ["podIPs"] = new JsonArray("10.1.2.3") };
        }
        if (ready is not null)
        {
            claim["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready, ["reason"] = reason ?? "", ["message"] = "m" });
        }
        return claim;
    }

    [Fact]
    public void A_claim_goes_pending_bound_ready_deleting_gone()
    {
        var claim = NewClaim();

        Assert.Equal(ClaimState.Pending, claim.Apply(WatchEventType.Added, Claim(), T0));
        Assert.Equal(ClaimState.Bound, claim.Apply(WatchEventType.Modified, Claim("sbx-abc", "False", "DependenciesNotReady"), T0.AddSeconds(1)));
        Assert.Equal("sbx-abc", claim.SandboxName);
        Assert.Equal(ClaimState.Ready, claim.Apply(WatchEventType.Modified, Claim("sbx-abc", "True"), T0.AddSeconds(2)));
        Assert.Equal(ClaimState.Deleting, claim.BeginDelete(T0.AddSeconds(3)));
        Assert.Equal(ClaimState.Deleting, claim.Apply(WatchEventType.Modified, Claim("sbx-abc", "True", deleting: true), T0.AddSeconds(4)));
        Assert.Equal(ClaimState.Gone, claim.Apply(WatchEventType.Deleted, Claim("sbx-abc", "True", deleting: true), T0.AddSeconds(5)));
        Assert.True(claim.Final);
        Assert.Null(claim.Reason);
    }

    [Fact]
    public void Ready_and_bound_in_one_update_is_ready()
    {
        var claim = NewClaim();

        Assert.Equal(ClaimState.Ready, claim.Observe(Claim("sbx-abc", "True"), T0));
    }

    [Fact]
    public void Ready_without_a_named_sandbox_is_not_ready()
    {
        var claim = NewClaim();

        Assert.Equal(ClaimState.Pending, claim.Observe(Claim(ready: "True"), T0));
    }

    [Fact]
    public void An_unbound_claim_fails_after_the_bind_timeout_and_not_before()
    {
        var claim = NewClaim();
        claim.Observe(Claim(), T0);

        Assert.Equal(ClaimState.Pending, claim.Tick(T0.AddSeconds(30)));
        Assert.Equal(ClaimState.Failed, claim.Tick(T0.AddSeconds(31)));
        Assert.Contains("not bound to a sandbox within 30 s", claim.Reason);
    }

    [Fact]
    public void A_bound_claim_gets_the_ready_timeout_from_when_it_was_bound()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "False"), T0.AddSeconds(25));

        Assert.Equal(ClaimState.Bound, claim.Tick(T0.AddSeconds(85)));
        Assert.Equal(ClaimState.Failed, claim.Tick(T0.AddSeconds(86)));
        Assert.Contains("not ready within 60 s", claim.Reason);
    }

    [Fact]
    public void A_deletion_that_never_finishes_fails()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "True"), T0);
        claim.BeginDelete(T0.AddSeconds(1));
        claim.Observe(Claim("sbx-abc", "True", deleting: true), T0.AddSeconds(10));

        Assert.Equal(ClaimState.Failed, claim.Tick(T0.AddSeconds(22)));
        Assert.Contains("not deleted", claim.Reason);
    }

    [Fact]
    public void An_expired_claim_fails_with_the_controllers_reason()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "True"), T0);

        Assert.Equal(ClaimState.Failed, claim.Observe(Claim("sbx-abc", "False", "ClaimExpired"), T0.AddSeconds(5)));
        Assert.Contains("ClaimExpired", claim.Reason);
    }

    [Fact]
    public void A_ready_sandbox_that_stops_being_ready_fails_and_never_goes_back()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "True"), T0);

        Assert.Equal(ClaimState.Failed, claim.Observe(Claim("sbx-abc", "False", "PodFailed"), T0.AddSeconds(1)));
        Assert.Contains("PodFailed", claim.Reason);
        Assert.Equal(ClaimState.Failed, claim.Observe(Claim("sbx-abc", "True"), T0.AddSeconds(2)));
        Assert.Equal(ClaimState.Failed, claim.BeginDelete(T0.AddSeconds(3)));
    }

    [Fact]
    public void A_claim_deleted_by_someone_else_fails()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "True"), T0);

        Assert.Equal(ClaimState.Failed, claim.Apply(WatchEventType.Deleted, Claim("sbx-abc", "True"), T0.AddSeconds(1)));
        Assert.Contains("deleted outside the broker", claim.Reason);
    }

    [Fact]
    public void A_deletion_timestamp_seen_first_moves_to_deleting()
    {
        var claim = NewClaim();
        claim.Observe(Claim("sbx-abc", "True"), T0);

        Assert.Equal(ClaimState.Deleting, claim.Observe(Claim("sbx-abc", "True", deleting: true), T0.AddSeconds(1)));
        Assert.Equal(ClaimState.Gone, claim.Observe(null, T0.AddSeconds(2)));
    }

    [Fact]
    public void A_watch_error_fails_the_claim_with_its_message()
    {
        var claim = NewClaim();

        Assert.Equal(ClaimState.Failed, claim.Apply(WatchEventType.Error, new JsonObject { ["message"] = "too old resource version" }, T0));
        Assert.Contains("too old resource version", claim.Reason);
    }
}
