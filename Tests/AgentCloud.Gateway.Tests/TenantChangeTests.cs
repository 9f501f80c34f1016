using System.Diagnostics;
using System.Net;
using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// Suspension, reactivation and policy changes reach every Gateway replica over the same Redis channel as revocation:
/// each drops what it cached for the tenant, so the next call is decided on the ControlPlane's current answer.
/// </summary>
public sealed class TenantChangeTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _first = env.NewGateway();
    private readonly GatewayFactory _second = env.NewGateway();

    private Task PublishAsync(string channel, string tenantId) =>
        env.Redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), tenantId);

    [Fact]
    public async Task A_suspended_tenant_is_refused_on_every_replica_as_soon_as_the_change_is_announced()
    {
        var (_, key) = env.ControlPlane.AddKey("suspendee");
        using var a = _first.Client(key);
        using var b = _second.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/models")).StatusCode);

        env.ControlPlane.Suspend("suspendee");
        var announced = Stopwatch.StartNew();
        await PublishAsync(PlatformChannels.PolicyChanged, "suspendee");

        await UntilAsync(async () => (await a.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized, "replica 1 to refuse");
        await UntilAsync(async () => (await b.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized, "replica 2 to refuse");
        // Far inside the key cache's 30 s: the announcement, not expiry, did it.
        Assert.True(announced.Elapsed < TimeSpan.FromSeconds(15), $"took {announced.Elapsed}");
    }

    [Fact]
    public async Task A_reactivated_tenant_is_admitted_at_once_although_its_refusal_was_cached()
    {
        var (_, key) = env.ControlPlane.AddKey("returner");
        env.ControlPlane.Suspend("returner");
        using var client = _first.Client(key);
        await Problem.AssertAsync(await client.GetAsync("/v1/models"), HttpStatusCode.Unauthorized);

        env.ControlPlane.Reactivate("returner");
        await PublishAsync(PlatformChannels.PolicyChanged, "returner");

        await UntilAsync(async () => (await client.GetAsync("/v1/models")).StatusCode == HttpStatusCode.OK, "the reactivated key to pass");
    }

    [Fact]
    public async Task A_policy_change_makes_the_next_call_resolve_the_key_afresh()
    {
        var (_, key) = env.ControlPlane.AddKey("repoliced");
        var (_, bystanderKey) = env.ControlPlane.AddKey("bystander-tenant");
        using var client = _first.Client(key);
        using var bystander = _first.Client(bystanderKey);
        await client.GetAsync("/v1/models");
        await bystander.GetAsync("/v1/models");
        var before = env.ControlPlane.ResolveCalls;

        await PublishAsync(PlatformChannels.PolicyChanged, "repoliced");
        await UntilAsync(async () =>
        {
            await client.GetAsync("/v1/models");
            return env.ControlPlane.ResolveCalls > before;
        }, "the key to be resolved again");
        var afterChange = env.ControlPlane.ResolveCalls;
        await bystander.GetAsync("/v1/models");

        Assert.Equal(afterChange, env.ControlPlane.ResolveCalls);
    }

    [Fact]
    public async Task A_projects_new_budget_reaches_both_replicas_once_announced_and_its_deletion_refuses_its_keys_there()
    {
        var (_, key) = env.ControlPlane.AddKey("projected", projectId: "prj_marketing", projectTokensPerMinute: 1_000);
        var (_, outsider) = env.ControlPlane.AddKey("projected");
        using var a = _first.Client(key);
        using var b = _second.Client(key);
        using var other = _second.Client(outsider);
        Assert.Equal(1_000, await ForwardedProjectBudgetAsync(a));
        Assert.Equal(1_000, await ForwardedProjectBudgetAsync(b));

        env.ControlPlane.ChangeProjectBudget("prj_marketing", 250);
        await PublishAsync(PlatformChannels.PolicyChanged, "projected");

        await UntilAsync(async () => await ForwardedProjectBudgetAsync(a) == 250, "replica 1 to carry the new budget");
        await UntilAsync(async () => await ForwardedProjectBudgetAsync(b) == 250, "replica 2 to carry the new budget");

        env.ControlPlane.DeleteProject("prj_marketing");
        await PublishAsync(PlatformChannels.PolicyChanged, "projected");

        await UntilAsync(async () => (await a.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized, "replica 1 to refuse");
        await UntilAsync(async () => (await b.GetAsync("/v1/models")).StatusCode == HttpStatusCode.Unauthorized, "replica 2 to refuse");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task A_keys_period_budgets_reach_the_router_in_its_signed_context_as_resolved_and_no_caller_header_changes_them()
    {
        var budgets = new PeriodBudgets(ProjectTokens: 70_000, ProjectMicrodollars: 10_250_000, ProjectPeriod: BudgetPeriod.Day,
            ProjectAlertThresholds: [50, 90], KeyMicrodollars: 2_500_000, KeyPeriod: BudgetPeriod.Week);
        var (_, key) = env.ControlPlane.AddKey("budgeted", projectId: "prj_marketing", budgets: budgets);
        using var client = _first.Client(key);
        // A caller's own context header is not the Gateway's: it is replaced, never merged.
        client.DefaultRequestHeaders.TryAddWithoutValidation(TenantContextHeaders.Context, "forged");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        var token = env.Upstream.LastFor("/v1/models")!.Headers[TenantContextHeaders.Context];
        var result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters([TestTenantContexts.Key], "inference-router"));
        var forwarded = TenantContextToken.FromClaims(result.ClaimsIdentity)!.Budgets!;

        Assert.Equal(budgets with { ProjectAlertThresholds = null }, forwarded with { ProjectAlertThresholds = null });
        Assert.Equal([50, 90], forwarded.ProjectAlertThresholds!);
    }

    /// <summary>The project budget in the signed context the replica forwarded for one call (-1: the call was not forwarded).</summary>
    private async Task<long> ForwardedProjectBudgetAsync(HttpClient client)
    {
        if ((await client.GetAsync("/v1/models")).StatusCode != HttpStatusCode.OK)
        {
            return -1;
        }
        var token = env.Upstream.LastFor("/v1/models")!.Headers[TenantContextHeaders.Context];
        var result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters([TestTenantContexts.Key], "inference-router"));
        var context = TenantContextToken.FromClaims(result.ClaimsIdentity)!;
        Assert.Equal("prj_marketing", context.ProjectId);
        return context.ProjectTokensPerMinute;
    }

    private static Task UntilAsync(Func<Task<bool>> probe, string what) =>
        LocalProcess.WaitUntilAsync(probe, TimeSpan.FromSeconds(10), what);

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }
}
