using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.ControlPlane.Alerts;
using AgentCloud.Tests.Shared;
using static AgentCloud.ControlPlane.Tests.AlertsTestKit;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The alert webhook's configuration as a hostile tenant would try it: SSRF targets, other tenants' webhooks, the secret's exposure.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class AlertsApiTests(ControlPlaneFixture cp)
{
    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://192.168.1.10/hook")]
    [InlineData("https://172.16.0.1/hook")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://8.8.8.8/hook")]
    [InlineData("https://user:password@8.8.8.8/hook")]
    [InlineData("ftp://8.8.8.8/hook")]
    [InlineData("not a url")]
    [InlineData("")]
    public async Task A_webhook_url_that_is_not_public_https_is_refused_with_400(string url)
    {
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));

        var refused = await admin.PutAsJsonAsync("/v1/alerts/webhook", new { url });
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.EndsWith("/webhook-url-refused", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/v1/alerts/webhook"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Loopback_receivers_are_refused_unless_the_allowance_is_on()
    {
        Assert.NotNull(await WebhookAddressRules.RefuseAsync("http://127.0.0.1:8080/hook", allowLoopback: false, CancellationToken.None));
        Assert.NotNull(await WebhookAddressRules.RefuseAsync("https://[::1]/hook", allowLoopback: false, CancellationToken.None));
        Assert.Null(await WebhookAddressRules.RefuseAsync("http://127.0.0.1:8080/hook", allowLoopback: true, CancellationToken.None));
        Assert.Null(await WebhookAddressRules.RefuseAsync("https://8.8.8.8/hook", allowLoopback: false, CancellationToken.None));
        // The allowance admits loopback only: the rest of the internal ranges stay closed.
        Assert.NotNull(await WebhookAddressRules.RefuseAsync("http://10.1.2.3/hook", allowLoopback: true, CancellationToken.None));
    }

    [Fact]
    public async Task A_webhook_repointed_at_an_internal_address_after_configuration_is_refused_at_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        await ConfigureAsync(admin, receiver.Url);
        // What a name re-pointed after its check looks like at delivery (DNS rebinding): the stored URL now leads inside.
        await cp.OwnerScalarAsync("UPDATE alert_webhooks SET url = 'https://10.20.30.40/hook' WHERE tenant_id = @t", ("t", tenant));

        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);
        var delivery = await SettledDeliveryAsync(admin, alert.AlertId);

        Assert.Equal(("failed", 1), (delivery.GetProperty("state").GetString(), delivery.GetProperty("attempts").GetInt32()));
        Assert.StartsWith("refused:", delivery.GetProperty("lastError").GetString());
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task The_tenant_admin_creates_reads_updates_and_deletes_its_webhook_and_the_secret_is_answered_only_when_made()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));

        var created = await admin.PutAsJsonAsync("/v1/alerts/webhook", new { url = receiver.Url });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);

        var read = await admin.GetStringAsync("/v1/alerts/webhook");
        Assert.Contains(receiver.Url, read);
        Assert.DoesNotContain("secret\"", read);
        var updated = await admin.PutAsJsonAsync("/v1/alerts/webhook", new { url = receiver.Url + "/v2" });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.DoesNotContain("secret\"", await updated.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/alerts/webhook")).StatusCode);
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/v1/alerts/webhook"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await admin.PostAsync("/v1/alerts/webhook/rotate-secret", null), HttpStatusCode.NotFound);

        using var op = cp.Operator();
        var trail = await op.GetStringAsync($"/admin/v1/audit?tenantId={tenant}");
        Assert.Contains("alerts.webhook-created", trail);
        Assert.Contains("alerts.webhook-updated", trail);
        Assert.Contains("alerts.webhook-deleted", trail);
        Assert.DoesNotContain(secret, trail);
    }

    [Fact]
    public async Task The_secret_never_appears_in_logs_answers_or_the_database_in_clear()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        var first = await ConfigureAsync(admin, receiver.Url);
        var rotated = await admin.PostAsync("/v1/alerts/webhook/rotate-secret", null);
        var second = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        var alert = Crossing(tenant);
        await AddAsync(cp.Redis, alert);
        await SettledDeliveryAsync(admin, alert.AlertId);

        using var op = cp.Operator();
        var answers = string.Join("\n", await admin.GetStringAsync("/v1/alerts/webhook"), await admin.GetStringAsync("/v1/alerts/deliveries"),
            await op.GetStringAsync($"/admin/v1/tenants/{tenant}/alerts/webhook"), await op.GetStringAsync($"/admin/v1/audit?tenantId={tenant}"));
        foreach (var secret in new[] { first, second })
        {
            Assert.DoesNotContain(secret, cp.Logs.All);
            Assert.DoesNotContain(secret, answers);
            Assert.Equal(0, await cp.OwnerScalarAsync(
                "SELECT count(*) FROM alert_webhooks WHERE position(convert_to(@s, 'UTF8') in sealed_secret) > 0 OR url LIKE '%' || @s || '%'", ("s", secret)));
        }
        Assert.Contains(alert.AlertId, cp.Logs.All);
    }

    [Fact]
    public async Task Another_tenant_can_neither_read_nor_change_a_tenants_webhook_or_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (a, b) = (await cp.CreateTenantAsync(), await cp.CreateTenantAsync());
        using var adminA = cp.Client(Admin(a));
        using var adminB = cp.Client(Admin(b));
        await ConfigureAsync(adminA, receiver.Url);
        var alert = Crossing(a);
        await AddAsync(cp.Redis, alert);
        await SettledDeliveryAsync(adminA, alert.AlertId);

        // B's own routes only ever name B: it has no webhook and sees none of A's deliveries.
        await ProblemAssert.IsProblemAsync(await adminB.GetAsync("/v1/alerts/webhook"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await adminB.DeleteAsync("/v1/alerts/webhook"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await adminB.PostAsync("/v1/alerts/webhook/rotate-secret", null), HttpStatusCode.NotFound);
        Assert.DoesNotContain(alert.AlertId, await adminB.GetStringAsync("/v1/alerts/deliveries"));
        // The operator's routes name a tenant in the path, and are the operator's only.
        foreach (var path in new[] { $"/admin/v1/tenants/{a}/alerts/webhook", $"/admin/v1/tenants/{a}/alerts/deliveries" })
        {
            await ProblemAssert.IsProblemAsync(await adminB.GetAsync(path), HttpStatusCode.Forbidden);
        }
        await ProblemAssert.IsProblemAsync(await adminB.PutAsJsonAsync($"/admin/v1/tenants/{a}/alerts/webhook", new { url = "https://8.8.8.8/steal" }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await adminB.PostAsync($"/admin/v1/tenants/{a}/alerts/webhook/rotate-secret", null), HttpStatusCode.Forbidden);
        Assert.Contains(receiver.Url, await adminA.GetStringAsync("/v1/alerts/webhook"));

        // A crossing naming B but carrying A's alert id could otherwise take A's id and have A's alert deduplicated away.
        var forged = Crossing(b) with { AlertId = a + ":project:prj_x:usd:day:2026-12-01:100" };
        await AddAsync(cp.Redis, forged);
        var genuine = Crossing(a) with { AlertId = forged.AlertId };
        await AddAsync(cp.Redis, genuine);
        Assert.Equal("delivered", (await SettledDeliveryAsync(adminA, genuine.AlertId)).GetProperty("state").GetString());
        Assert.DoesNotContain(forged.AlertId, await adminB.GetStringAsync("/v1/alerts/deliveries"));
    }

    [Fact]
    public async Task Offboarding_a_tenant_removes_its_webhook_and_deliveries()
    {
        var tenant = await cp.CreateTenantAsync();
        using var admin = cp.Client(Admin(tenant));
        await ConfigureAsync(admin, "https://8.8.8.8/hook");
        var alert = Crossing(tenant);
        await cp.OwnerScalarAsync("""
            INSERT INTO alert_deliveries (alert_id, tenant_id, body, state, attempts, next_attempt_at, created_at)
            VALUES (@id, @t, '{}', 'delivered', 1, now(), now())
            """, ("id", alert.AlertId), ("t", tenant));

        using var op = cp.Operator();
        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/admin/v1/tenants/{tenant}")).StatusCode);

        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM alert_webhooks WHERE tenant_id = @t", ("t", tenant)));
        Assert.Equal(0, await cp.OwnerScalarAsync("SELECT count(*) FROM alert_deliveries WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task The_alert_routes_are_in_the_services_api_document()
    {
        using var op = cp.Operator();
        var document = await op.GetStringAsync("/openapi/v1.json");

        foreach (var path in new[] { "/v1/alerts/webhook", "/v1/alerts/webhook/rotate-secret", "/v1/alerts/deliveries",
                     "/admin/v1/tenants/{tenantId}/alerts/webhook", "/admin/v1/tenants/{tenantId}/alerts/deliveries" })
        {
            Assert.Contains($"\"{path}\"", document);
        }
    }

    [Fact]
    public async Task Keys_without_alerts_admin_and_run_keys_are_refused_with_403()
    {
        var tenant = await cp.CreateTenantAsync();
        using var plain = cp.Client(TestTenantContexts.Tenant(tenant, "pro", ["inference", "usage:read", "projects:admin"]));
        using var run = cp.Client(Admin(tenant) with { RunId = "sbx_1" });
        foreach (var client in new[] { plain, run })
        {
            Assert.Contains("alerts:admin", await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/alerts/webhook"), HttpStatusCode.Forbidden));
            await ProblemAssert.IsProblemAsync(await client.PutAsJsonAsync("/v1/alerts/webhook", new { url = "https://8.8.8.8/x" }), HttpStatusCode.Forbidden);
            await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/alerts/deliveries"), HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task The_operator_manages_a_tenants_webhook_and_pages_its_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await cp.CreateTenantAsync();
        using var op = cp.Operator();
        var created = await op.PutAsJsonAsync($"/admin/v1/tenants/{tenant}/alerts/webhook", new { url = receiver.Url });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("whsec_", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString());
        await ProblemAssert.IsProblemAsync(await op.PutAsJsonAsync($"/admin/v1/tenants/{tenant}/alerts/webhook", new { url = "https://10.0.0.1/" }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await op.PutAsJsonAsync("/admin/v1/tenants/no-such-tenant/alerts/webhook", new { url = receiver.Url }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await op.GetAsync("/admin/v1/tenants/no-such-tenant/alerts/deliveries"), HttpStatusCode.NotFound);

        var alerts = Enumerable.Range(0, 3).Select(i => Crossing(tenant, 80 + i)).ToList();
        foreach (var alert in alerts)
        {
            await AddAsync(cp.Redis, alert);
        }
        using var admin = cp.Client(Admin(tenant));
        await SettledDeliveryAsync(admin, alerts[^1].AlertId);

        var first = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{tenant}/alerts/deliveries?limit=2");
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await op.GetFromJsonAsync<JsonElement>($"/admin/v1/tenants/{tenant}/alerts/deliveries?limit=2&cursor={cursor}");
        var ids = first.GetProperty("deliveries").EnumerateArray().Concat(second.GetProperty("deliveries").EnumerateArray())
            .Select(d => d.GetProperty("alertId").GetString()).ToList();
        Assert.Equal(alerts.Select(a => a.AlertId).Reverse(), ids);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
        await ProblemAssert.IsProblemAsync(await op.GetAsync($"/admin/v1/tenants/{tenant}/alerts/deliveries?limit=0"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await op.GetAsync($"/admin/v1/tenants/{tenant}/alerts/deliveries?cursor=abc"), HttpStatusCode.BadRequest);
    }
}
