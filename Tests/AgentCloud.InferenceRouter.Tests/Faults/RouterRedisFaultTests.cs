using System.Diagnostics;
using System.Net;
using System.Text.Json;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Budgets;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Outbox;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests.Faults;

/// <summary>
/// The router while its Redis is frozen (SIGSTOP) or killed: each tenant's fail mode decides within the deadline,
/// nothing hangs or answers 500, and every served call is booked and billed exactly once when Redis returns.
/// </summary>
// In the platform collection: hosts started concurrently with it race for their addresses, and freezing Redis is no time for a fairness measurement.
[Collection(RouterCollection.Name)]
public sealed class RouterRedisFaultTests(RouterFaultPlatform platform) : IClassFixture<RouterFaultPlatform>
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(2);

    private TenantContext Tenant(string tier, string failMode)
    {
        var tenant = platform.Policies.Add(tier);
        // One budget (the month) so the test reads one ledger hash whatever the minute.
        platform.Policies.Change(tenant.TenantId, p => p with { RateLimitFailMode = WireNames.Parse<RateLimitFailMode>(failMode), TokensPerMinute = 0, MonthlyTokenQuota = 10_000_000 });
        return tenant;
    }

    private QuotaScope MonthOf(TenantContext tenant) =>
        Assert.Single(QuotaScopes.For(tenant.TenantId, 0, 10_000_000, DateTimeOffset.UtcNow));

    [Fact]
    public async Task A_fail_open_tenant_is_served_while_redis_is_frozen_and_booked_and_billed_once_when_it_returns()
    {
        var tenant = Tenant("pro", "open");
        using var client = platform.Router.ClientFor(tenant);
        await Chat.CompleteAsync(client, Chat.Body("warm up the connections", extra: b => b["max_tokens"] = 5));

        HttpStatusCode status;
        var clock = Stopwatch.StartNew();
        await platform.Redis.PauseAsync();
        try
        {
            using var response = await Chat.PostAsync(client, Chat.Body("served while redis sleeps", extra: b => b["max_tokens"] = 5));
            status = response.StatusCode;
            clock.Stop();
        }
        finally
        {
            await platform.Redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(clock.Elapsed < Promise, $"answered after {clock.Elapsed}");
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        // A late add and its replay may both reach the stream; consumers count an event id once.
        var billed = events.DistinctBy(e => e.EventId).ToList();
        Assert.Equal(2, billed.Count);
        var scope = MonthOf(tenant);
        var ledger = platform.Router.Services.GetRequiredService<TokenLedger>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var (used, reserved) = await ledger.ReadAsync(scope);
            return used == billed.Sum(e => e.WeightedTokens) && reserved == 0;
        }, TimeSpan.FromSeconds(10), "the ledger to book both calls exactly once and hold nothing");
    }

    [Fact]
    public async Task A_threshold_crossed_by_a_call_served_while_redis_was_frozen_is_alerted_once_redis_returns()
    {
        var tenant = Tenant("pro", "open");
        var key = tenant with
        {
            Principal = "key:key_frozen_" + tenant.TenantId, ProjectId = "prj_frozen",
            Budgets = new PeriodBudgets(ProjectMicrodollars: 100, ProjectPeriod: BudgetPeriod.Day, ProjectAlertThresholds: [10]),
        };
        using var warmClient = platform.Router.ClientFor(tenant);
        await Chat.CompleteAsync(warmClient, Chat.Body("warm up the connections", extra: b => b["max_tokens"] = 5));
        using var client = platform.Router.ClientFor(key);

        HttpStatusCode status;
        await platform.Redis.PauseAsync();
        try
        {
            // Held in the provisional ledger; any sim-small call of 20 tokens costs more than 10 % of 100 micro-dollars.
            using var response = await Chat.PostAsync(client, Chat.Body("spent while redis sleeps", extra: b => b["max_tokens"] = 20));
            status = response.StatusCode;
        }
        finally
        {
            await platform.Redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.OK, status);
        var alerts = new List<BudgetThresholdCrossed>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            alerts = (await platform.Redis.Connection.GetDatabase().StreamRangeAsync(BudgetThresholdCrossed.StreamName))
                .Select(e => BudgetThresholdCrossed.Decode(e[BudgetThresholdCrossed.EncodedField]))
                .Where(e => e?.TenantId == tenant.TenantId).Select(e => e!).ToList();
            return alerts.Count > 0;
        }, TimeSpan.FromSeconds(15), "the reconciler to book the settle and raise its alert");
        var alert = alerts.DistinctBy(a => a.AlertId).Single();
        Assert.Equal(("prj_frozen", 10, "project dollars per day"), (alert.ProjectId, alert.ThresholdPercent, alert.Budget));
    }

    [Fact]
    public async Task A_fail_closed_tenant_gets_503_with_retry_after_while_redis_is_frozen_and_is_served_when_it_returns()
    {
        var tenant = Tenant("free", "closed");
        using var client = platform.Router.ClientFor(tenant);
        await Chat.CompleteAsync(client, Chat.Body("warm up", extra: b => b["max_tokens"] = 5));

        HttpStatusCode status;
        string? mediaType;
        TimeSpan? retryAfter;
        string type;
        var clock = Stopwatch.StartNew();
        await platform.Redis.PauseAsync();
        try
        {
            using var response = await Chat.PostAsync(client, Chat.Body("refused while redis sleeps", extra: b => b["max_tokens"] = 5));
            clock.Stop();
            status = response.StatusCode;
            mediaType = response.Content.Headers.ContentType?.MediaType;
            retryAfter = response.Headers.RetryAfter?.Delta;
            type = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString()!;
        }
        finally
        {
            await platform.Redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/problem+json", mediaType);
        Assert.NotNull(retryAfter);
        Assert.EndsWith("quota-store-unavailable", type);
        Assert.True(clock.Elapsed < Promise, $"answered after {clock.Elapsed}");
        await Chat.CompleteAsync(client, Chat.Body("served again", extra: b => b["max_tokens"] = 5));
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        Assert.Equal(2, events.DistinctBy(e => e.EventId).Count());
    }

    [Fact]
    public async Task A_usage_event_spooled_while_redis_is_down_is_replayed_by_the_next_router_under_the_same_id()
    {
        var tenant = Tenant("pro", "open");
        var spool = Path.Combine(Path.GetTempPath(), "agentcloud-router-restart-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Outbox:SpoolDirectory"] = spool, ["Outbox:RetryInterval"] = "01:00:00" };
        string spooledEventId;
        using (var first = platform.NewRouter(settings))
        {
            using var client = first.ClientFor(tenant);
            await Chat.CompleteAsync(client, Chat.Body("warm up", extra: b => b["max_tokens"] = 5));
            await platform.Redis.StopAsync();
            var clock = Stopwatch.StartNew();
            using var response = await Chat.PostAsync(client, Chat.Body("served while redis is dead", extra: b => b["max_tokens"] = 5));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(clock.Elapsed < Promise, $"answered after {clock.Elapsed}");
            var line = Assert.Single(File.ReadAllLines(first.Services.GetRequiredService<StreamOutbox>().SpoolPath));
            var spooled = JsonSerializer.Deserialize<StreamOutbox.Spooled>(line)!;
            spooledEventId = UsageEvent.FromStreamFields(spooled.Fields.ToDictionary(f => f[0], f => f[1]), out _)!.EventId;
        }
        await platform.Redis.StartAsync(); // empty: the first router's events before the crash are gone with it

        using var restarted = platform.NewRouter(settings);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1);

        Assert.Equal(spooledEventId, Assert.Single(events).EventId);
        // The replay adds the event, then empties the spool: the event can be seen a moment before the spool is empty.
        var outbox = restarted.Services.GetRequiredService<StreamOutbox>();
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(!outbox.HasSpooled), TimeSpan.FromSeconds(10), "the replayed spool to be emptied");
    }

    /// <summary>
    /// A whole answer leaves the router only once its event is recorded or spooled, in one write with its length: a
    /// router ended before then leaves the Gateway a call not yet answered (503 with Retry-After), never a client an
    /// answer that is cut after it was billed, or one served and never billed. Redis frozen makes the event wait for
    /// its deadline and the spool, so an answer sent first would arrive while the spool is still empty.
    /// </summary>
    [Fact]
    public async Task A_whole_answer_reaches_its_client_only_once_its_usage_event_is_written()
    {
        var tenant = Tenant("pro", "open");
        var spool = Path.Combine(Path.GetTempPath(), "agentcloud-router-order-" + Guid.NewGuid().ToString("N"));
        using var router = platform.NewRouter(new Dictionary<string, string?> { ["Outbox:SpoolDirectory"] = spool, ["Outbox:RetryInterval"] = "01:00:00" });
        using var client = router.ClientFor(tenant);
        await Chat.CompleteAsync(client, Chat.Body("warm up", extra: b => b["max_tokens"] = 5));
        var outbox = router.Services.GetRequiredService<StreamOutbox>();

        bool spooledWhenAnswered;
        HttpStatusCode status;
        long? length;
        await platform.Redis.PauseAsync();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(Chat.Body("billed before it is sent", extra: b => b["max_tokens"] = 5).ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            spooledWhenAnswered = outbox.HasSpooled;
            (status, length) = (response.StatusCode, response.Content.Headers.ContentLength);
        }
        finally
        {
            await platform.Redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(spooledWhenAnswered, "the answer's headers arrived before its usage event was written or spooled");
        Assert.True(length > 0, "a whole answer is sent with its length");
        Directory.Delete(spool, recursive: true);
    }

    [Fact]
    public async Task A_stream_longer_than_its_hold_renews_the_hold_until_it_ends()
    {
        var tenant = Tenant("pro", "closed");
        using var client = platform.Router.ClientFor(tenant);
        var ttl = platform.Router.Services.GetRequiredService<IOptions<Extensions.InferenceRouterOptions>>().Value.ReservationTtl;
        var body = Chat.Body("tell a long story", model: "sim-slow", extra: b =>
        {
            b["stream"] = true;
            b["max_tokens"] = 14;
            b["min_tokens"] = 14;
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reading = response.Content.ReadAsStringAsync();

        await Task.Delay(ttl * 1.5);
        var sampledAt = DateTimeOffset.UtcNow;
        var holds = await platform.Redis.Connection.GetDatabase().SortedSetRangeByRankWithScoresAsync(MonthOf(tenant).Key + ":res");
        var stillStreaming = !reading.IsCompleted;
        await reading;

        Assert.True(stillStreaming, "the stream ended before its hold's lifetime had passed; the test needs a longer stream");
        var hold = Assert.Single(holds);
        // Unrenewed, it would have expired half a lifetime before the sample.
        Assert.True(hold.Score > sampledAt.ToUnixTimeMilliseconds(),
            $"the hold expired at {DateTimeOffset.FromUnixTimeMilliseconds((long)hold.Score):O}, before {sampledAt:O}, while its stream still ran");
    }

    [Fact]
    public async Task A_whole_answer_whose_client_went_away_is_billed_for_what_the_upstream_produced()
    {
        var tenant = Tenant("pro", "closed");
        using var client = platform.Router.ClientFor(tenant);
        client.Timeout = TimeSpan.FromSeconds(1); // the answer takes about 3 s
        var body = Chat.Body("answer slowly", model: "sim-slow", extra: b =>
        {
            b["max_tokens"] = 10;
            b["min_tokens"] = 10;
        });

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => Chat.PostAsync(client, body));

        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal("aborted", usage.Status);
        Assert.Equal(10, usage.OutputTokens);
        Assert.True(usage.InputTokens > 0);
    }
}
