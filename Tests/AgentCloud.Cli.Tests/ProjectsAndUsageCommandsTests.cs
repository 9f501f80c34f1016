using System.Net;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>projects</c>, <c>keys create --project</c> and <c>usage --group-by/--project</c>: the calls they make and what they print.</summary>
public sealed class ProjectsAndUsageCommandsTests
{
    private const string Project = """{"id":"prj_0a1b2c3d4e5f6a7b","name":"marketing","tokensPerMinute":20000,"createdAt":"2026-12-01T10:00:00Z"}""";

    [Fact]
    public async Task Projects_list_reads_the_callers_own_tenant_and_with_tenant_the_operators_path()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, $"[{Project}]"));

        var (ownExit, own, _) = await gateway.RunAsync("projects", "list");
        var (adminExit, _, _) = await gateway.RunAsync("projects", "list", "--tenant", "t 1");

        Assert.Equal((ExitCodes.Ok, ExitCodes.Ok), (ownExit, adminExit));
        Assert.Equal([("GET", "/v1/projects"), ("GET", "/admin/v1/tenants/t%201/projects")], gateway.Seen.Select(s => (s.Method, s.PathAndQuery)));
        Assert.Contains("prj_0a1b2c3d4e5f6a7b", own);
        Assert.Contains("marketing", own);
        Assert.Contains("20000", own);
    }

    [Fact]
    public async Task Projects_create_sends_the_name_and_budget_and_json_prints_the_answer()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, Project));

        var (exit, stdout, _) = await gateway.RunAsync("projects", "create", "--name", "marketing", "--tokens-per-minute", "20000", "--json");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("POST", "/v1/projects"), (method, path));
        Assert.Equal(("marketing", 20000L), (body!["name"]!.GetValue<string>(), body["tokensPerMinute"]!.GetValue<long>()));
        Assert.Contains("\"id\": \"prj_0a1b2c3d4e5f6a7b\"", stdout);
    }

    [Fact]
    public async Task Projects_update_patches_only_what_is_given_and_zero_removes_the_budget()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, Project));

        var (exit, _, _) = await gateway.RunAsync("projects", "update", "prj_0a1b2c3d4e5f6a7b", "--tokens-per-minute", "0", "--tenant", "t_1");

        Assert.Equal(ExitCodes.Ok, exit);
        var (method, path, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal(("PATCH", "/admin/v1/tenants/t_1/projects/prj_0a1b2c3d4e5f6a7b"), (method, path));
        Assert.Equal("""{"tokensPerMinute":0}""", body!.ToJsonString());
    }

    [Fact]
    public async Task Projects_create_sends_period_budgets_and_alert_thresholds()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, Project));

        var (exit, _, _) = await gateway.RunAsync("projects", "create", "--name", "data", "--dollars-per-period", "200.5",
            "--tokens-per-period", "1000000", "--period", "week", "--alert-thresholds", "50, 90,100");

        Assert.Equal(ExitCodes.Ok, exit);
        var (_, _, body, _) = Assert.Single(gateway.Seen);
        Assert.Equal("""{"name":"data","tokensPerPeriod":1000000,"dollarsPerPeriod":200.5,"period":"week","alertThresholds":[50,90,100]}""", body!.ToJsonString());
    }

    [Theory]
    [InlineData("--period", "year")]
    [InlineData("--alert-thresholds", "80,ninety")]
    public async Task Projects_update_with_a_malformed_budget_flag_is_a_usage_error_and_calls_nothing(string flag, string value)
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, Project));

        var (exit, _, _) = await gateway.RunAsync("projects", "update", "prj_0a1b2c3d4e5f6a7b", flag, value);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Empty(gateway.Seen);
    }

    [Fact]
    public async Task Projects_update_with_nothing_to_change_is_a_usage_error_and_calls_nothing()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, Project));

        var (exit, _, stderr) = await gateway.RunAsync("projects", "update", "prj_0a1b2c3d4e5f6a7b");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--tokens-per-minute", stderr);
        Assert.Empty(gateway.Seen);
    }

    [Fact]
    public async Task Projects_delete_of_another_tenants_project_exits_not_found()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.NotFound, ScriptedGateway.Problem(404, "There is no project 'prj_ffff'.")));

        var (exit, _, stderr) = await gateway.RunAsync("projects", "delete", "prj_ffff");

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Equal(("DELETE", "/v1/projects/prj_ffff"), (gateway.Seen[0].Method, gateway.Seen[0].PathAndQuery));
        Assert.Contains("There is no project 'prj_ffff'.", stderr);
    }

    [Fact]
    public async Task Keys_create_with_a_project_sends_its_id()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.Created, """{"id":"key_2","key":"ac_abcdefghijkl_secret","projectId":"prj_0a1b2c3d4e5f6a7b"}"""));

        var (exit, _, _) = await gateway.RunAsync("keys", "create", "t_1", "--name", "mkt", "--project", "prj_0a1b2c3d4e5f6a7b");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("prj_0a1b2c3d4e5f6a7b", Assert.Single(gateway.Seen).Body!["projectId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Usage_by_project_asks_for_that_grouping_and_shows_the_row_of_no_project()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """
            {"tenantId":"t_1","groupBy":"project","data":[
              {"tenantId":"t_1","projectId":null,"inputTokens":50,"outputTokens":5,"weightedTokens":55,"sandboxSeconds":0,"toolCalls":0,"cost":0.001},
              {"tenantId":"t_1","projectId":"prj_0a1b2c3d4e5f6a7b","inputTokens":2100,"outputTokens":210,"weightedTokens":2310,"sandboxSeconds":0,"toolCalls":1,"cost":0.02}]}
            """));

        var (exit, stdout, _) = await gateway.RunAsync("usage", "--group-by", "project", "--project", "prj_0a1b2c3d4e5f6a7b");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("/v1/usage?groupBy=project&projectId=prj_0a1b2c3d4e5f6a7b", Assert.Single(gateway.Seen).PathAndQuery);
        Assert.Contains("PROJECT", stdout);
        Assert.Contains("(none)", stdout);
        Assert.Contains("prj_0a1b2c3d4e5f6a7b", stdout);
        Assert.Contains("2100", stdout);
    }

    [Fact]
    public async Task Usage_by_key_of_a_tenant_uses_the_operators_chargeback()
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, """
            {"groupBy":"key","data":[{"tenantId":"t_1","kind":"inference","model":"sim-small","key":"key_1","projectId":"prj_0a1b2c3d4e5f6a7b","inputTokens":7}]}
            """));

        var (exit, stdout, _) = await gateway.RunAsync("usage", "--tenant", "t_1", "--group-by", "key");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("/admin/v1/usage?groupBy=key&tenantId=t_1", Assert.Single(gateway.Seen).PathAndQuery);
        Assert.Contains("key_1", stdout);
        Assert.Contains("sim-small", stdout);
    }

    [Theory]
    [InlineData("--group-by", "principal")]
    [InlineData("--tenant", "t_1", "--group-by", "day")]
    public async Task Usage_with_a_grouping_the_endpoint_lacks_is_a_usage_error_and_calls_nothing(params string[] args)
    {
        var gateway = new ScriptedGateway(_ => (HttpStatusCode.OK, "{}"));

        var (exit, _, _) = await gateway.RunAsync(["usage", .. args]);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Empty(gateway.Seen);
    }
}
