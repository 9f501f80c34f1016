using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>What the alert tests share: a tenant's alerts admin, a crossing as the router writes it, and a receiver's signature check.</summary>
public static class AlertsTestKit
{
    public static TenantContext Admin(string tenantId) => TestTenantContexts.Tenant(tenantId, "pro", ["inference", "alerts:admin"]);

    public static BudgetThresholdCrossed Crossing(string tenantId, int threshold = 80, string? budget = null) => new()
    {
        AlertId = $"{tenantId}:{budget ?? "project:prj_" + Guid.NewGuid().ToString("N")[..8] + ":usd:day:2026-12-01"}:{threshold}",
        TenantId = tenantId,
        Level = "project",
        Budget = "project dollars per day",
        ProjectId = "prj_marketing",
        Unit = "usd",
        Period = "day",
        PeriodStart = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
        PeriodEnd = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
        ThresholdPercent = threshold,
        Limit = 10m,
        Used = 8.25m,
        At = DateTimeOffset.UtcNow,
    };

    public static Task AddAsync(RedisServerFixture redis, BudgetThresholdCrossed alert) =>
        redis.Connection.GetDatabase().StreamAddAsync(BudgetThresholdCrossed.StreamName, BudgetThresholdCrossed.EncodedField, alert.Encode());

    /// <summary>Configures the tenant's webhook and returns the secret answered once.</summary>
    public static async Task<string> ConfigureAsync(HttpClient tenantAdmin, string url)
    {
        var response = await tenantAdmin.PutAsJsonAsync("/v1/alerts/webhook", new { url });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    /// <summary>
    /// The alert's delivery once it is no longer pending (or matches <paramref name="done"/>), polling the deliveries list for at
    /// most 20 s: a generous bound on background work, not a timing assertion.
    /// </summary>
    public static async Task<JsonElement> SettledDeliveryAsync(HttpClient tenantAdmin, string alertId, Func<JsonElement, bool>? done = null)
    {
        done ??= d => d.GetProperty("state").GetString() != "pending";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var page = await tenantAdmin.GetFromJsonAsync<JsonElement>("/v1/alerts/deliveries?limit=500");
            last = page.GetProperty("deliveries").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(d => d!.Value.GetProperty("alertId").GetString() == alertId);
            if (last is { } d && done(d))
            {
                return d;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"alert {alertId} did not settle; last seen: {last}");
        return default;
    }

    public static bool Verifies(string secret, WebhookReceiver.Received request) => request.SignedWith(secret);
}
