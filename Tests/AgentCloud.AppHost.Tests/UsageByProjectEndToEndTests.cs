using System.Text.Json.Nodes;
using AgentCloud.Cli;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Two projects of one tenant spend through the running platform (inference, and a sandbox lease for one of them);
/// <c>agentcloud usage --group-by project</c> shows each project's spend and the spend of the key of no project apart,
/// a project's key sees only its own project, and another tenant naming the project sees nothing.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class UsageByProjectEndToEndTests(PlatformFixture platform)
{
    private string Url => $"http://127.0.0.1:{platform.Args.GatewayPort}";

    private async Task<JsonNode> CliAsync(string key, params string[] args)
    {
        var env = new Dictionary<string, string> { ["AGENTCLOUD_URL"] = Url, ["AGENTCLOUD_KEY"] = key, ["AGENTCLOUD_PROFILE_FILE"] = "/nonexistent/profiles.json" };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await CliApp.RunAsync([.. args, "--json"], stdout, stderr, env: name => env.GetValueOrDefault(name));
        Assert.True(exit == 0, $"agentcloud {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return JsonNode.Parse(stdout.ToString())!;
    }

    private static Dictionary<string, (long Events, long Input, decimal SandboxSeconds)> ByProject(JsonNode usage) =>
        usage["data"]!.AsArray().ToDictionary(r => r!["projectId"]?.GetValue<string>() ?? "(none)",
            r => (r!["events"]!.GetValue<long>(), r["inputTokens"]!.GetValue<long>(), r["sandboxSeconds"]!.GetValue<decimal>()));

    [Fact]
    public async Task Each_projects_spend_is_shown_apart_and_a_projects_key_sees_only_its_own()
    {
        var (tenantId, adminKey) = await platform.NewTenantAsync("pro", "two-projects",
            new { name = "finance", capabilities = new[] { "inference", "usage:read", "projects:admin" } });
        var marketing = (await CliAsync(adminKey, "projects", "create", "--name", "marketing", "--tokens-per-minute", "200000"))["id"]!.GetValue<string>();
        var data = (await CliAsync(adminKey, "projects", "create", "--name", "data"))["id"]!.GetValue<string>();
        var listed = (await CliAsync(adminKey, "projects", "list")).AsArray().Select(p => p!["id"]!.GetValue<string>());
        Assert.Equal(new[] { marketing, data }.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        var marketingKey = (await CliAsync(AppHostArgs.AdminKey, "keys", "create", tenantId, "--name", "mkt", "--project", marketing))["key"]!.GetValue<string>();
        var dataKey = (await CliAsync(AppHostArgs.AdminKey, "keys", "create", tenantId, "--name", "data", "--project", data))["key"]!.GetValue<string>();

        await ChatAsync(marketingKey);
        await ChatAsync(marketingKey);
        await ChatAsync(dataKey);
        await ChatAsync(adminKey);
        var sandboxId = (await CliAsync(dataKey, "sandbox", "create"))["id"]!.GetValue<string>();
        await CliAsync(dataKey, "sandbox", "rm", sandboxId);

        // Usage is counted once the aggregator has read it off the stream: wait for all five events.
        var spend = await WaitForAsync(adminKey, rows => rows.Values.Sum(r => r.Events) == 5);
        Assert.Equal(new[] { "(none)", data, marketing }.Order(StringComparer.Ordinal), spend.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, spend[marketing].Events);
        Assert.Equal((2L, true), (spend[data].Events, spend[data].SandboxSeconds > 0));
        Assert.Equal((1L, 0m), (spend["(none)"].Events, spend["(none)"].SandboxSeconds));

        var ownView = ByProject(await CliAsync(marketingKey, "usage", "--group-by", "project"));
        Assert.Equal([marketing], ownView.Keys);
        Assert.Empty(ByProject(await CliAsync(marketingKey, "usage", "--group-by", "project", "--project", data)));
        var (_, otherTenantsKey) = await platform.NewTenantAsync("pro", "nosy");
        Assert.Empty(ByProject(await CliAsync(otherTenantsKey, "usage", "--group-by", "project", "--project", marketing)));
        var chargeback = await CliAsync(AppHostArgs.AdminKey, "usage", "--tenant", tenantId, "--group-by", "project", "--project", marketing);
        Assert.All(chargeback["data"]!.AsArray(), r => Assert.Equal(marketing, r!["projectId"]!.GetValue<string>()));
    }

    private async Task ChatAsync(string key)
    {
        using var client = platform.Gateway().As(key);
        var response = await PlatformTenants.PatientlyAsync(() => client.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"sim-small","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json")));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<Dictionary<string, (long Events, long Input, decimal SandboxSeconds)>> WaitForAsync(
        string key, Func<Dictionary<string, (long Events, long Input, decimal SandboxSeconds)>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var rows = ByProject(await CliAsync(key, "usage", "--group-by", "project"));
            if (done(rows) || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(500);
        }
    }
}
