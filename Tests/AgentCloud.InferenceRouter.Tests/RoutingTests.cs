using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.InferenceRouter.Tests;

[Collection(RouterCollection.Name)]
public sealed class RoutingTests(RouterPlatform platform)
{
    [Fact]
    public async Task A_free_tenant_lands_on_the_shared_pool_and_its_distinct_prompts_spread_over_it()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);

        // Cache-aware routing hashes each distinct prompt to a replica: 16 of them all on one of two has odds 2^-15.
        var instances = new List<string>();
        for (var i = 0; i < 16; i++)
        {
            instances.Add(Chat.Instance(await Chat.CompleteAsync(client, Chat.Body($"{Guid.NewGuid()} question {i}"))));
        }

        Assert.All(instances, i => Assert.StartsWith("shared-", i));
        Assert.Equal(["shared-0", "shared-1"], instances.Distinct().Order());
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 16);
        Assert.All(events, e => Assert.Equal("shared", e.Placement));
        Assert.Equal(instances.Order(), events.Select(e => e.Endpoint!).Order());
    }

    [Fact]
    public async Task An_enterprise_tenant_with_its_own_endpoint_lands_on_it()
    {
        var tenant = platform.Policies.Add("enterprise", tenantId: RouterPlatform.OwnEndpointTenant);
        using var client = platform.Router.ClientFor(tenant);

        var answer = await Chat.CompleteAsync(client, Chat.Body("hello from the enterprise " + Guid.NewGuid()));

        Assert.Equal("dedicated-own", Chat.Instance(answer));
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("dedicated-own", "dedicated"), (usage.Endpoint, usage.Placement));
    }

    [Fact]
    public async Task An_enterprise_tenant_without_its_own_endpoint_is_pinned_to_one_endpoint_of_the_tier_pool()
    {
        var tenant = platform.Policies.Add("enterprise");
        using var client = platform.Router.ClientFor(tenant);

        var first = Chat.Instance(await Chat.CompleteAsync(client, Chat.Body("one " + Guid.NewGuid())));
        var second = Chat.Instance(await Chat.CompleteAsync(client, Chat.Body("two " + Guid.NewGuid())));

        Assert.StartsWith("enterprise-pool-", first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_model_the_tenant_is_not_entitled_to_is_refused_naming_it()
    {
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", 4096)]);
        using var client = platform.Router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body("hi", model: "sim-large"));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("/model-not-entitled", problem["type"]!.GetValue<string>());
        Assert.Contains("'sim-large'", problem["detail"]!.GetValue<string>());
        Assert.Empty(await UsageStream.ForTenantAsync(platform.Redis.Connection, tenant.TenantId));
    }

    [Fact]
    public async Task The_model_list_shows_only_the_entitled_models()
    {
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-large", 2048), new ModelEntitlement("not-served-anywhere", 2048)]);
        using var client = platform.Router.ClientFor(tenant);

        var list = await client.GetFromJsonAsync<JsonNode>("/v1/models");

        Assert.Equal("list", list!["object"]!.GetValue<string>());
        var ids = list["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(["sim-large"], ids);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_tenants_context_is_refused()
    {
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", 64)]);
        using var client = platform.Router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body(string.Join(' ', Enumerable.Repeat("word", 100))));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.EndsWith("/context-length-exceeded", problem["type"]!.GetValue<string>());
        Assert.Contains("64 tokens", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Max_tokens_beyond_the_tenants_context_is_refused()
    {
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", 64)]);
        using var client = platform.Router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body("short", extra: b => b["max_tokens"] = 60));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Lower max_tokens", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_tenant_without_a_policy_is_refused()
    {
        using var client = platform.Router.ClientFor(AgentCloud.Tests.Shared.TestTenantContexts.Tenant("ghost-" + Guid.NewGuid().ToString("N")[..8]));

        using var response = await Chat.PostAsync(client, Chat.Body("hi"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_call_without_a_signed_tenant_context_is_refused()
    {
        using var client = new HttpClient { BaseAddress = platform.Router.BaseAddress };

        using var response = await Chat.PostAsync(client, Chat.Body("hi"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Embeddings_go_through_entitlement_and_placement_and_are_metered()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);

        using var response = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = new[] { "hello world", "tiktoken is great!" } });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        using var refused = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-large", input = "x" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, body["data"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(("embedding", 8L, 0L), (usage.Kind, usage.InputTokens, usage.OutputTokens));
    }

    [Fact]
    public async Task A_completed_request_writes_one_usage_event_with_the_callers_identity_and_token_counts()
    {
        var tenant = platform.Policies.Add("pro");
        using var client = platform.Router.ClientFor(tenant);

        // 5 is below the simulator's shortest natural answer (8 tokens), so every prompt is cut at exactly 5.
        var answer = await Chat.CompleteAsync(client, Chat.Body("count me " + Guid.NewGuid(), extra: b => b["max_tokens"] = 5));

        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(tenant.Principal, usage.Principal);
        Assert.Equal(tenant.RunId, usage.RunId);
        Assert.Equal(("inference", "sim-small", "ok"), (usage.Kind, usage.Resource, usage.Status));
        Assert.Equal(Chat.PromptTokens(answer), usage.InputTokens);
        Assert.Equal(5, usage.OutputTokens);
    }
}
