using AgentCloud.Tests.Shared;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Streams;
using static AgentCloud.ControlPlane.Tests.AlertsTestKit;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Budget crossings from the router's stream to the tenant's trail and webhook: once per alert id, signed, retried, durable.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class AlertDeliveryTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task A_crossing_added_twice_is_audited_once_and_delivered_once_signed_with_the_tenants_secret_only()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var adminA = cp.Client(Admin(a));
        using var adminB = cp.Client(Admin(b));
        var secretA = await ConfigureAsync(adminA, receiver.Url);
        var secretB = await ConfigureAsync(adminB, receiver.Url);

        var alert = Crossing(a);
        await AddAsync(cp.Redis, alert);
        await AddAsync(cp.Redis, alert);
        // Entries are handled in order: once a later crossing has been delivered, the repeat has been seen too.
        var later = Crossing(a, 100);
        await AddAsync(cp.Redis, later);
        await SettledDeliveryAsync(adminA, later.AlertId);

        var delivery = await SettledDeliveryAsync(adminA, alert.AlertId);
        Assert.Equal(("delivered", 1), (delivery.GetProperty("state").GetString(), delivery.GetProperty("attempts").GetInt32()));
        var request = Assert.Single(receiver.For(alert.AlertId));
        Assert.True(Verifies(secretA, request));
        Assert.False(Verifies(secretB, request));
        Assert.False(Verifies(secretA, request with { Timestamp = (long.Parse(request.Timestamp!, CultureInfo.InvariantCulture) - 600).ToString(CultureInfo.InvariantCulture) }));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("budget.threshold-crossed", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(alert.AlertId, body.RootElement.GetProperty("data").GetProperty("alertId").GetString());

        using var op = cp.Operator();
        var trail = await op.GetStringAsync($"/admin/v1/audit?tenantId={a}&limit=1000");
        Assert.Equal(1, Count(trail, alert.AlertId, "budget.threshold-crossed"));
    }

    [Fact]
    public async Task A_receiver_failing_with_500_is_retried_and_each_attempt_is_recorded()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var secret = await ConfigureAsync(admin, receiver.Url);

        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);
        var delivery = await SettledDeliveryAsync(admin, alert.AlertId);

        Assert.Equal(("delivered", 3, 200), (delivery.GetProperty("state").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatus").GetInt32()));
        var attempts = receiver.For(alert.AlertId);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, r => Assert.True(Verifies(secret, r)));
        Assert.Single(attempts.Select(r => Encoding.UTF8.GetString(r.Body)).Distinct());
    }

    [Fact]
    public async Task A_receiver_that_keeps_failing_is_recorded_failed_after_the_configured_attempts_and_a_4xx_at_once()
    {
        await using var failing = await WebhookReceiver.StartAsync(Enumerable.Repeat(502, 50).ToArray());
        await using var refusing = await WebhookReceiver.StartAsync(400);
        var (t1, t2) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var admin1 = cp.Client(Admin(t1));
        using var admin2 = cp.Client(Admin(t2));
        await ConfigureAsync(admin1, failing.Url);
        await ConfigureAsync(admin2, refusing.Url);

        var (first, second) = (Crossing(t1), Crossing(t2));
        await AddAsync(cp.Redis, first);
        await AddAsync(cp.Redis, second);

        var exhausted = await SettledDeliveryAsync(admin1, first.AlertId);
        Assert.Equal(("failed", ControlPlaneFixture.AlertMaxAttempts, 502),
            (exhausted.GetProperty("state").GetString(), exhausted.GetProperty("attempts").GetInt32(), exhausted.GetProperty("lastStatus").GetInt32()));
        Assert.Equal(ControlPlaneFixture.AlertMaxAttempts, failing.For(first.AlertId).Count);
        var final = await SettledDeliveryAsync(admin2, second.AlertId);
        Assert.Equal(("failed", 1, 400), (final.GetProperty("state").GetString(), final.GetProperty("attempts").GetInt32(), final.GetProperty("lastStatus").GetInt32()));
        Assert.Single(refusing.For(second.AlertId));
    }

    [Fact]
    public async Task A_slow_receiver_holds_neither_the_stream_nor_another_tenants_delivery()
    {
        await using var slow = await WebhookReceiver.StartAsync(gated: true);
        await using var quick = await WebhookReceiver.StartAsync();
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var adminA = cp.Client(Admin(a));
        using var adminB = cp.Client(Admin(b));
        await ConfigureAsync(adminA, slow.Url);
        await ConfigureAsync(adminB, quick.Url);
        var (held, other) = (Crossing(a), Crossing(b));
        await AddAsync(cp.Redis, held);
        await SettledDeliveryAsync(adminA, held.AlertId, _ => !slow.Requests.IsEmpty);

        await AddAsync(cp.Redis, other);
        Assert.Equal("delivered", (await SettledDeliveryAsync(adminB, other.AlertId)).GetProperty("state").GetString());
        Assert.Equal("pending", (await SettledDeliveryAsync(adminA, held.AlertId, _ => true)).GetProperty("state").GetString());

        slow.Gate.SetResult();
        Assert.Equal("delivered", (await SettledDeliveryAsync(adminA, held.AlertId)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_within_the_attempt_timeout_is_retried()
    {
        await using var silent = await WebhookReceiver.StartAsync(gated: true);
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        await ConfigureAsync(admin, silent.Url);
        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);

        var retrying = await SettledDeliveryAsync(admin, alert.AlertId, d => d.GetProperty("attempts").GetInt32() >= 2);
        Assert.Equal("pending", retrying.GetProperty("state").GetString());
        Assert.Contains("did not answer within", retrying.GetProperty("lastError").GetString());

        silent.Gate.SetResult();
        var delivered = await SettledDeliveryAsync(admin, alert.AlertId);
        Assert.Equal("delivered", delivered.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_tenant_without_a_webhook_still_gets_the_audit_entry()
    {
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);

        var delivery = await SettledDeliveryAsync(admin, alert.AlertId);
        Assert.Equal(("no-webhook", 0), (delivery.GetProperty("state").GetString(), delivery.GetProperty("attempts").GetInt32()));
        using var op = cp.Operator();
        Assert.Equal(1, Count(await op.GetStringAsync($"/admin/v1/audit?tenantId={tenant}"), alert.AlertId, "budget.threshold-crossed"));
    }

    [Fact]
    public async Task A_pending_delivery_left_in_postgres_by_a_stopped_replica_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var secret = await ConfigureAsync(admin, receiver.Url);
        // What a replica that stopped mid-attempt leaves: the row counts one attempt and its lease has ended.
        var alert = Crossing(tenant);
        await cp.OwnerScalarAsync("""
            INSERT INTO alert_deliveries (alert_id, tenant_id, body, state, attempts, next_attempt_at, created_at)
            VALUES (@id, @tenant, @body, 'pending', 1, now() - interval '1 second', now())
            """, ("id", alert.AlertId), ("tenant", tenant), ("body", AgentCloud.ControlPlane.Alerts.BudgetAlertRecorder.BodyOf(alert)));

        var delivery = await SettledDeliveryAsync(admin, alert.AlertId);
        Assert.Equal(("delivered", 2), (delivery.GetProperty("state").GetString(), delivery.GetProperty("attempts").GetInt32()));
        Assert.True(Verifies(secret, Assert.Single(receiver.For(alert.AlertId))));
    }

    [Fact]
    public async Task A_crossing_read_by_a_replica_that_died_before_acknowledging_it_is_taken_over_and_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        await ConfigureAsync(admin, receiver.Url);
        var alert = Crossing(tenant);
        // Added and read by another consumer of the group in one transaction, so the live replica never sees it as new.
        var db = cp.Redis.Connection.GetDatabase();
        await new StreamConsumerGroup(cp.Redis.Connection, new StreamConsumerGroupSettings(BudgetThresholdCrossed.StreamName, "controlplane-alerts", "test")).EnsureAsync();
        var transaction = db.CreateTransaction();
        _ = transaction.StreamAddAsync(BudgetThresholdCrossed.StreamName, BudgetThresholdCrossed.EncodedField, alert.Encode());
        var read = transaction.StreamReadGroupAsync(BudgetThresholdCrossed.StreamName, "controlplane-alerts", "replica-that-died", ">", 1000);
        Assert.True(await transaction.ExecuteAsync());
        Assert.Contains(await read, e => e[BudgetThresholdCrossed.EncodedField].ToString().Contains(alert.AlertId, StringComparison.Ordinal));

        var delivery = await SettledDeliveryAsync(admin, alert.AlertId);
        Assert.Equal("delivered", delivery.GetProperty("state").GetString());
        Assert.Single(receiver.For(alert.AlertId));
    }

    [Fact]
    public async Task A_recorded_crossing_is_trimmed_from_the_stream()
    {
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var alert = Crossing(tenant);
        var id = await cp.Redis.Connection.GetDatabase().StreamAddAsync(BudgetThresholdCrossed.StreamName, BudgetThresholdCrossed.EncodedField, alert.Encode());
        await SettledDeliveryAsync(admin, alert.AlertId);

        // Trimmed right after its batch is acknowledged; 10 s bounds the background step, it is no timing assertion.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && (await cp.Redis.Connection.GetDatabase().StreamRangeAsync(BudgetThresholdCrossed.StreamName, id, id)).Length > 0)
        {
            await Task.Delay(50);
        }
        Assert.Empty(await cp.Redis.Connection.GetDatabase().StreamRangeAsync(BudgetThresholdCrossed.StreamName, id, id));
    }

    [Fact]
    public async Task A_rotated_secret_signs_the_next_alerts_and_the_old_one_no_longer_verifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var old = await ConfigureAsync(admin, receiver.Url);

        var rotated = await admin.PostAsync("/v1/alerts/webhook/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.NotEqual(old, fresh);
        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);
        await SettledDeliveryAsync(admin, alert.AlertId);

        var request = Assert.Single(receiver.For(alert.AlertId));
        Assert.True(Verifies(fresh, request));
        Assert.False(Verifies(old, request));
    }

    /// <summary>How many events of the trail page have this action and mention this alert id.</summary>
    private static int Count(string trail, string alertId, string action)
    {
        using var json = JsonDocument.Parse(trail);
        return json.RootElement.GetProperty("events").EnumerateArray()
            .Count(e => e.GetProperty("action").GetString() == action && e.GetProperty("detail").GetRawText().Contains(alertId, StringComparison.Ordinal));
    }
}
