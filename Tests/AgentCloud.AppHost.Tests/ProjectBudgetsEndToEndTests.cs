using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.Cli;
using AgentCloud.Tests.Shared;
using OpenAI;
using OpenAI.Chat;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// README's two-project budget example through the running platform: a tenant gives marketing a tiny dollar budget
/// per day and data a large one. Marketing's agents are refused with the project's own problem type once its dollars
/// are held, data's still run, the tenant's webhook receives one signed alert for marketing's 50 % threshold, and the
/// usage breakdown by project shows what each spent, marketing within its budget. A key with its own dollar budget
/// inside the data project is refused by the key's type while its project still has room, and the tenant's own budget
/// by the tenant's. The agents call through the OpenAI .NET SDK, as a framework would.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ProjectBudgetsEndToEndTests(PlatformFixture platform)
{
    private const decimal MarketingDollarsPerDay = 0.00002m;

    [Fact]
    public async Task A_projects_dollar_budget_refuses_its_keys_alerts_the_tenant_once_and_spares_the_other_project()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (tenantId, adminKey) = await platform.NewTenantAsync("pro", "budgets",
            new { name = "finance", capabilities = new[] { "inference", "usage:read", "projects:admin", "alerts:admin" } });
        using var admin = platform.Gateway().As(adminKey);
        var webhook = await admin.PutAsJsonAsync("/v1/alerts/webhook", new { url = receiver.Url });
        Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);
        var secret = JsonNode.Parse(await webhook.Content.ReadAsStringAsync())!["secret"]!.GetValue<string>();

        var marketing = (await CliAsync(adminKey, "projects", "create", "--name", "marketing", "--dollars-per-period",
            MarketingDollarsPerDay.ToString(System.Globalization.CultureInfo.InvariantCulture), "--period", "day", "--alert-thresholds", "50,100"))["id"]!.GetValue<string>();
        var data = (await CliAsync(adminKey, "projects", "create", "--name", "data", "--dollars-per-period", "200", "--period", "week"))["id"]!.GetValue<string>();
        var marketingKey = (await CliAsync(AppHostArgs.AdminKey, "keys", "create", tenantId, "--name", "campaign-bot", "--project", marketing))["key"]!.GetValue<string>();
        var dataKey = (await CliAsync(AppHostArgs.AdminKey, "keys", "create", tenantId, "--name", "etl-agent", "--project", data))["key"]!.GetValue<string>();

        // Each call holds a few micro-dollars, so marketing's 20 are gone within a handful of calls; bounded at 40.
        ClientResultException? refusal = null;
        var served = 0;
        for (var i = 0; i < 40 && refusal is null; i++)
        {
            refusal = await ChatAsync(marketingKey);
            served += refusal is null ? 1 : 0;
        }
        Assert.NotNull(refusal);
        Assert.InRange(served, 1, 39);
        AssertRefused(refusal, "project-budget-exceeded", "project dollars per day");
        Assert.Null(await ChatAsync(dataKey)); // the data project's budget is its own

        // A key's own dollar budget inside the data project: its refusal names the key, not the project.
        var cappedKey = (await CliAsync(AppHostArgs.AdminKey, "keys", "create", tenantId, "--name", "intern-agent", "--project", data,
            "--dollar-budget", "0.000001", "--dollar-budget-period", "day"))["key"]!.GetValue<string>();
        AssertRefused(await ChatAsync(cappedKey), "key-budget-exceeded", "dollars per day");
        Assert.Null(await ChatAsync(dataKey));

        // Above both: the tenant's own budget. Squeezed to one token a minute, its refusal keeps the tenant's type.
        using (var operatorClient = platform.Operator())
        {
            (await operatorClient.PatchAsJsonAsync($"/admin/v1/tenants/{tenantId}", new { policy = new { tokensPerMinute = 1 } })).EnsureSuccessStatusCode();
        }
        AssertRefused(await RefusedOnceAppliedAsync(dataKey), "token-budget-exceeded", "tokens per minute");

        var alert = await AlertAsync(receiver, a => a["data"]!["projectId"]?.GetValue<string>() == marketing && a["data"]!["thresholdPercent"]!.GetValue<int>() == 50);
        Assert.True(alert.Request.SignedWith(secret));
        Assert.Equal(("project", "usd", "day"), (alert.Body["data"]!["level"]!.GetValue<string>(), alert.Body["data"]!["unit"]!.GetValue<string>(), alert.Body["data"]!["period"]!.GetValue<string>()));
        Assert.Equal(MarketingDollarsPerDay, alert.Body["data"]!["limit"]!.GetValue<decimal>());
        Assert.Single(receiver.For(alert.Request.AlertId!));

        // The breakdown: each project's calls apart, marketing's cost within its budget.
        var spend = await UsageByProjectAsync(adminKey, rows => rows.GetValueOrDefault(marketing).Events == served && rows.GetValueOrDefault(data).Events >= 2);
        Assert.Equal(served, spend[marketing].Events);
        Assert.InRange(spend[marketing].Cost, 0.000001m, MarketingDollarsPerDay);
        Assert.True(spend[data].Events >= 2, "the data project's calls are its own");
    }

    /// <summary>One chat through the OpenAI SDK: null when served, else the SDK's exception (its retries off, so a 429 is seen).</summary>
    private async Task<ClientResultException?> ChatAsync(string key)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        var chat = new OpenAIClient(new ApiKeyCredential(key), options).GetChatClient("sim-small");
        try
        {
            await chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });
            return null;
        }
        catch (ClientResultException e) when (e.Status == (int)HttpStatusCode.TooManyRequests)
        {
            return e;
        }
    }

    /// <summary>The first refusal of the key's calls: a policy change reaches every service within moments, not at once.</summary>
    private async Task<ClientResultException?> RefusedOnceAppliedAsync(string key)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await ChatAsync(key) is { } refusal)
            {
                return refusal;
            }
            await Task.Delay(200);
        }
        return null;
    }

    private static void AssertRefused(ClientResultException? refusal, string type, string budget)
    {
        Assert.NotNull(refusal);
        var response = refusal.GetRawResponse()!;
        var problem = JsonNode.Parse(response.Content.ToString())!;
        Assert.EndsWith("/" + type, problem["type"]!.GetValue<string>());
        Assert.Contains(budget, problem["detail"]!.GetValue<string>());
        Assert.True(response.Headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.InRange(int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 86_400);
    }

    private static async Task<(WebhookReceiver.Received Request, JsonNode Body)> AlertAsync(WebhookReceiver receiver, Func<JsonNode, bool> wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var request in receiver.Requests)
            {
                var body = JsonNode.Parse(request.Body)!;
                if (wanted(body))
                {
                    return (request, body);
                }
            }
            await Task.Delay(200);
        }
        Assert.Fail($"no such alert; received {receiver.Requests.Count}");
        return default;
    }

    private async Task<Dictionary<string, (long Events, decimal Cost)>> UsageByProjectAsync(string key, Func<Dictionary<string, (long Events, decimal Cost)>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var usage = await CliAsync(key, "usage", "--group-by", "project");
            var rows = usage["data"]!.AsArray().ToDictionary(r => r!["projectId"]?.GetValue<string>() ?? "(none)",
                r => (r!["events"]!.GetValue<long>(), r["cost"]!.GetValue<decimal>()));
            if (done(rows) || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(500);
        }
    }

    private async Task<JsonNode> CliAsync(string key, params string[] args)
    {
        var env = new Dictionary<string, string> { ["AGENTCLOUD_URL"] = $"http://127.0.0.1:{platform.Args.GatewayPort}", ["AGENTCLOUD_KEY"] = key, ["AGENTCLOUD_PROFILE_FILE"] = "/nonexistent/profiles.json" };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await CliApp.RunAsync([.. args, "--json"], stdout, stderr, env: name => env.GetValueOrDefault(name));
        Assert.True(exit == 0, $"agentcloud {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return JsonNode.Parse(stdout.ToString())!;
    }
}
