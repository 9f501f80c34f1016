using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>keys list</c>, <c>tenants update</c> and <c>models</c>: the calls they make and what they print.</summary>
public sealed class AdminCommandsTests
{
    [Fact]
    public async Task Keys_list_prints_a_tenants_keys_without_any_secret()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """
            [{"id":"key_1","name":"laptop","prefix":"ac_abcdefghijkl","capabilities":["inference","sandbox"],"createdAt":"2026-01-01T00:00:00Z","revokedAt":null,"defaultLane":"interactive","runId":null,"expiresAt":null}]
            """));

        var (exit, stdout, _) = await gateway.RunAsync("keys", "list", "t_1");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, _, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("GET", "/admin/v1/tenants/t_1/keys"), (method, path));
        Assert.Contains("key_1", stdout);
        Assert.Contains("laptop", stdout);
        Assert.Contains("ac_abcdefghijkl", stdout);
    }

    [Fact]
    public async Task Keys_rotate_asks_for_the_grace_and_shows_the_new_secret_once()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """
            {"id":"key_1","key":"ac_abcdefghijkl_newsecret","prefix":"abcdefghijkl","rotatedAt":"2026-12-01T10:00:00Z","previousKeyValidUntil":"2026-12-01T11:00:00Z","propagated":true}
            """));

        var (exit, stdout, _) = await gateway.RunAsync("keys", "rotate", "t_1", "key_1", "--grace", "3600");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("POST", "/admin/v1/tenants/t_1/keys/key_1/rotate"), (method, path));
        Assert.Equal(3600, body!["gracePeriodSeconds"]!.GetValue<long>());
        Assert.Contains("ac_abcdefghijkl_newsecret", stdout);
        Assert.Contains("2026-12-01T11:00:00Z", stdout);
    }

    [Fact]
    public async Task Keys_create_sends_the_expiry_and_the_keys_own_limits()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, """{"id":"key_2","key":"ac_abcdefghijkl_secret"}"""));

        var (exit, _, _) = await gateway.RunAsync("keys", "create", "t_1", "--name", "ci", "--expires-at", "2027-01-31T00:00:00Z",
            "--requests-per-minute", "30", "--tokens-per-minute", "5000");

        Assert.Equal(ExitCodes.Ok, exit);
        var body = Assert.Single(gateway.Seen).Body!;
        Assert.Equal(DateTimeOffset.Parse("2027-01-31T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), body["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal((30, 5000L), (body["requestsPerMinute"]!.GetValue<int>(), body["tokensPerMinute"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Keys_create_sends_the_dollar_budget_its_period_and_project()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, """{"id":"key_3","key":"ac_abcdefghijkl_secret"}"""));

        var (exit, _, _) = await gateway.RunAsync("keys", "create", "t_1", "--name", "bot", "--dollar-budget", "25.50", "--dollar-budget-period", "week",
            "--project", "prj_marketing");

        Assert.Equal(ExitCodes.Ok, exit);
        var body = Assert.Single(gateway.Seen).Body!;
        Assert.Equal((25.50m, "week", "prj_marketing"),
            (body["dollarBudget"]!.GetValue<decimal>(), body["dollarBudgetPeriod"]!.GetValue<string>(), body["projectId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Keys_create_refuses_an_unknown_dollar_budget_period_before_calling()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, "{}"));

        var (exit, _, _) = await gateway.RunAsync("keys", "create", "t_1", "--name", "bot", "--dollar-budget", "5", "--dollar-budget-period", "year");

        Assert.NotEqual(ExitCodes.Ok, exit);
        Assert.Empty(gateway.Seen);
    }

    [Fact]
    public async Task Keys_list_of_an_unknown_tenant_exits_not_found()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.NotFound, ScriptedGateway.Problem(404, "No tenant 't_x'.")));

        var (exit, _, stderr) = await gateway.RunAsync("keys", "list", "t_x");

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Contains("No tenant 't_x'.", stderr);
    }

    [Fact]
    public async Task Tenants_update_patches_only_the_fields_given_with_typed_overrides()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """{"id":"t_1","name":"acme","tier":"enterprise","status":"suspended"}"""));

        var (exit, stdout, _) = await gateway.RunAsync("tenants", "update", "t_1", "--tier", "enterprise", "--status", "suspended",
            "--policy", "requestsPerMinute=120", "--isolation", "dedicatedSandboxPool=true", "--isolation", "sandboxIsolationLevels=gvisor,bubblewrap");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("PATCH", "/admin/v1/tenants/t_1"), (method, path));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"tier":"enterprise","status":"suspended","policy":{"requestsPerMinute":120},
             "isolation":{"dedicatedSandboxPool":true,"sandboxIsolationLevels":["gvisor","bubblewrap"]}}
            """), body), body?.ToJsonString());
        Assert.Contains("enterprise", stdout);
    }

    [Fact]
    public async Task Tenants_update_with_nothing_to_change_is_a_usage_error_and_calls_nothing()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, "{}"));

        var (exit, _, stderr) = await gateway.RunAsync("tenants", "update", "t_1");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Nothing to update", stderr);
        Assert.Empty(gateway.Seen);
    }

    [Fact]
    public async Task Tenants_update_refuses_a_malformed_override()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, "{}"));

        var (exit, _, stderr) = await gateway.RunAsync("tenants", "update", "t_1", "--policy", "requestsPerMinute");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--policy wants NAME=VALUE", stderr);
        Assert.Empty(gateway.Seen);
    }

    [Fact]
    public async Task Models_lists_the_tenants_models_and_shows_one_by_an_id_with_a_slash()
    {
        var gateway = new ScriptedGateway(r => r.RequestUri!.AbsolutePath == "/v1/models"
            ? (HttpStatusCode.OK, """{"object":"list","data":[{"id":"sim-large","object":"model","created":0,"owned_by":"agentcloud","max_context_tokens":32768}]}""")
            : (HttpStatusCode.OK, """{"id":"org/m 1","object":"model","created":0,"owned_by":"agentcloud","max_context_tokens":8192}"""));

        var (listExit, list, _) = await gateway.RunAsync("models");
        var (showExit, show, _) = await gateway.RunAsync("models", "org/m 1");

        Assert.Equal((ExitCodes.Ok, ExitCodes.Ok), (listExit, showExit));
        Assert.Contains("sim-large", list);
        Assert.Contains("32768", list);
        Assert.Contains("8192", show);
        Assert.Equal(["/v1/models", "/v1/models/org/m%201"], gateway.Seen.Select(s => s.PathAndQuery));
    }

    [Fact]
    public async Task Models_without_the_inference_capability_exits_unauthorized()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Forbidden, ScriptedGateway.Problem(403, "This key lacks the 'inference' capability.")));

        var (exit, _, stderr) = await gateway.RunAsync("models");

        Assert.Equal(ExitCodes.Unauthorized, exit);
        Assert.Contains("inference", stderr);
    }
}
