using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using StackExchange.Redis;
using System.Globalization;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Platform services' audit entries (denied sandbox egress) reach the tenant's trail through the platform-audit stream, once.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class PlatformAuditTests(ControlPlaneFixture cp)
{
    private const string Group = "controlplane";

    private IDatabase Redis => cp.Redis.Connection.GetDatabase();

    private static NameValueEntry[] Fields(params (string Name, string Value)[] fields) => fields.Select(f => new NameValueEntry(f.Name, f.Value)).ToArray();

    private static NameValueEntry[] Denied(string tenantId, string eventId, string sandboxId = "sbx_0123456789abcdef01234567") => Fields(
        ("eventId", eventId), ("tenantId", tenantId), ("actor", $"sandbox:{sandboxId}"), ("action", PlatformAuditEntry.EgressDenied),
        ("data", JsonSerializer.Serialize(new { eventId, host = "evil.example", port = 443, sandboxId, runId = "run_1", reason = "not on the tenant's egress allowlist" })));

    private static string NewEventId() => "egress_" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>Waits until the ControlPlane's group has been handed the entry and acknowledged everything it holds.</summary>
    private async Task WaitProcessedAsync(RedisValue lastId)
    {
        await LocalProcess.WaitUntilAsync(async () =>
        {
            var group = (await Redis.StreamGroupInfoAsync(PlatformAuditEntry.StreamName)).Single(g => g.Name == Group);
            return group.PendingMessageCount == 0 && Compare(group.LastDeliveredId, lastId.ToString()) >= 0;
        }, TimeSpan.FromSeconds(20), $"the ControlPlane to process {lastId}");
    }

    private static int Compare(string? a, string b)
    {
        static (long, long) Parse(string id) => (long.Parse(id.Split('-')[0], CultureInfo.InvariantCulture), long.Parse(id.Split('-')[1], CultureInfo.InvariantCulture));
        return a is null ? -1 : Parse(a).CompareTo(Parse(b));
    }

    private async Task<JsonElement[]> TrailAsync(string? tenantId)
    {
        using var op = cp.Operator();
        var audit = await op.GetFromJsonAsync<JsonElement>(tenantId is null ? "/admin/v1/audit" : $"/admin/v1/audit?tenantId={tenantId}");
        Assert.True(audit.GetProperty("verified").GetBoolean());
        return audit.GetProperty("events").EnumerateArray().ToArray();
    }

    private async Task<List<Dictionary<string, string>>> DeadLettersAsync() =>
        (await Redis.StreamRangeAsync(PlatformAuditEntry.DeadLetterStreamName))
            .Select(e => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString())).ToList();

    [Fact]
    public async Task Denied_egress_appears_in_the_tenants_trail_exactly_once_even_when_delivered_twice()
    {
        var tenant = await cp.CreateTenantAsync();
        var eventId = NewEventId();

        await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Denied(tenant, eventId));
        var second = await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Denied(tenant, eventId));
        await WaitProcessedAsync(second);

        var denied = (await TrailAsync(tenant)).Where(e => e.GetProperty("action").GetString() == PlatformAuditEntry.EgressDenied).ToList();
        var only = Assert.Single(denied);
        Assert.Equal("sandbox:sbx_0123456789abcdef01234567", only.GetProperty("actor").GetString());
        Assert.Equal(eventId, only.GetProperty("detail").GetProperty("eventId").GetString());
        Assert.Equal("evil.example", only.GetProperty("detail").GetProperty("data").GetProperty("host").GetString());
    }

    [Fact]
    public async Task An_event_id_hidden_inside_the_data_does_not_suppress_a_later_event()
    {
        var tenant = await cp.CreateTenantAsync();
        var later = NewEventId();
        var decoy = Fields(("eventId", NewEventId()), ("tenantId", tenant), ("actor", "sandbox:sbx_decoy"), ("action", PlatformAuditEntry.EgressDenied),
            ("data", JsonSerializer.Serialize(new { eventId = later, host = "x.example" })));

        await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, decoy);
        var id = await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Denied(tenant, later));
        await WaitProcessedAsync(id);

        Assert.Equal(2, (await TrailAsync(tenant)).Count(e => e.GetProperty("action").GetString() == PlatformAuditEntry.EgressDenied));
    }

    [Fact]
    public async Task Malformed_forged_and_unknown_tenant_entries_are_dead_lettered_and_appear_in_no_trail()
    {
        var tenant = await cp.CreateTenantAsync();
        var ids = new List<RedisValue>
        {
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Fields(("eventId", NewEventId()), ("tenantId", tenant))),
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Fields(("eventId", NewEventId()), ("tenantId", tenant), ("actor", "sandbox:sbx_x"),
                ("action", PlatformAuditEntry.EgressDenied), ("data", "{not json"))),
            // Platform services may record only their own actions, as their own kind of actor.
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Fields(("eventId", NewEventId()), ("tenantId", tenant), ("actor", "sandbox:sbx_x"),
                ("action", "tenant.offboarded"), ("data", "{}"))),
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Fields(("eventId", NewEventId()), ("tenantId", tenant), ("actor", "operator"),
                ("action", PlatformAuditEntry.EgressDenied), ("data", "{}"))),
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Denied("t_doesnotexist0000", NewEventId())),
            await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, Denied("_platform", NewEventId(), "sbx_forged_platform")),
        };
        await WaitProcessedAsync(ids[^1]);

        var deadLettered = (await DeadLettersAsync()).Select(d => d["sourceId"]).ToHashSet();
        Assert.All(ids, id => Assert.Contains(id.ToString(), deadLettered));
        Assert.DoesNotContain(await TrailAsync(tenant), e => e.GetProperty("action").GetString() != "tenant.created");
        Assert.DoesNotContain(await TrailAsync(null), e => e.GetProperty("actor").GetString() == "sandbox:sbx_forged_platform");
        using var op = cp.Operator();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await op.GetAsync("/admin/v1/audit?tenantId=t_doesnotexist0000")).StatusCode);
    }

    private static NameValueEntry[] GatewayRefusals(string tenantId, string eventId) => Fields(
        ("eventId", eventId), ("tenantId", tenantId), ("actor", "gateway:gw-test"), ("action", PlatformAuditEntry.KeysRefused),
        ("data", JsonSerializer.Serialize(new { count = 5400, reasons = new { malformed = 5400 } })));

    [Fact]
    public async Task A_gateways_refused_key_window_is_one_row_in_the_platform_trail_and_never_in_a_tenants()
    {
        var tenant = await cp.CreateTenantAsync();
        var eventId = "refused_" + Guid.NewGuid().ToString("N")[..24];
        var intoTenant = "refused_" + Guid.NewGuid().ToString("N")[..24];

        await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, GatewayRefusals("_platform", eventId));
        var last = await Redis.StreamAddAsync(PlatformAuditEntry.StreamName, GatewayRefusals(tenant, intoTenant));
        await WaitProcessedAsync(last);

        var row = Assert.Single(await TrailAsync(null), e => e.GetProperty("detail").GetProperty("eventId").GetString() == eventId);
        Assert.Equal(PlatformAuditEntry.KeysRefused, row.GetProperty("action").GetString());
        Assert.Equal(5400, row.GetProperty("detail").GetProperty("data").GetProperty("count").GetInt32());
        Assert.DoesNotContain(await TrailAsync(tenant), e => e.GetProperty("action").GetString() == PlatformAuditEntry.KeysRefused);
        Assert.Contains(last.ToString(), (await DeadLettersAsync()).Select(d => d["sourceId"]));
    }

    [Fact]
    public async Task An_entry_left_pending_by_a_dead_consumer_is_claimed_and_recorded()
    {
        var tenant = await cp.CreateTenantAsync();
        var eventId = NewEventId();
        // Another replica reads it and dies before acknowledging (in one transaction, so the running consumer cannot read it first).
        var transaction = Redis.CreateTransaction();
        var added = transaction.StreamAddAsync(PlatformAuditEntry.StreamName, Denied(tenant, eventId));
        var read = transaction.StreamReadGroupAsync(PlatformAuditEntry.StreamName, Group, "dead-replica", StreamPosition.NewMessages, 10);
        Assert.True(await transaction.ExecuteAsync());
        var (id, taken) = (await added, await read);

        await using var claimer = cp.Factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("ControlPlane:PlatformAudit:ClaimIdle", "00:00:00.200");
            web.UseSetting("ControlPlane:PlatformAudit:ConsumerName", "claimer");
            web.UseSetting("ControlPlane:PlatformAudit:PollInterval", "00:00:00.050");
        });
        _ = claimer.Server;
        await WaitProcessedAsync(id);

        Assert.Contains(taken, e => e.Id == id);
        var denied = (await TrailAsync(tenant)).Where(e => e.GetProperty("action").GetString() == PlatformAuditEntry.EgressDenied).ToList();
        Assert.Equal(eventId, Assert.Single(denied).GetProperty("detail").GetProperty("eventId").GetString());
    }
}
