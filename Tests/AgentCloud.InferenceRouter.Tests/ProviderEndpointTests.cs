using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using AgentCloud.InferenceRouter.Quota;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// Upstreams other than the simulator (OpenAI, Azure OpenAI, vLLM), as stub servers on 127.0.0.1 that record what the
/// router sent them: per-kind cache fields, model aliases in both directions, fallback, and the default output cap.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class ProviderEndpointTests(RouterPlatform platform)
{
    private sealed record Stub(string Name, string BaseUrl, string Kind, string Placement = "shared", string[]? Models = null,
        (string Model, string Upstream)[]? Aliases = null, string? ApiVersion = null, string? ApiKey = null, bool Tools = true);

    private RouterHost RouterOver(params Stub[] stubs) => RouterOver("00:00:10", stubs);

    private RouterHost RouterOver(string attemptTimeout, params Stub[] stubs)
    {
        // Least-loaded placement spreads short prompts over every endpoint, which these tests need to meet each kind;
        // cache-aware placement would keep one tenant's short prompts on one replica (CacheAwareRoutingTests).
        var settings = new Dictionary<string, string?>
        {
            ["InferenceRouter:LedgerDeadline"] = "00:00:05",
            ["InferenceRouter:AttemptTimeout"] = attemptTimeout,
            ["InferenceRouter:Routing:Strategy"] = "LeastLoaded",
        };
        foreach (var (s, i) in stubs.Select((s, i) => (s, i)))
        {
            var prefix = $"InferenceRouter:Endpoints:{i}:";
            settings[prefix + "Name"] = s.Name;
            settings[prefix + "BaseUrl"] = s.BaseUrl;
            settings[prefix + "Kind"] = s.Kind;
            settings[prefix + "Placement"] = s.Placement;
            settings[prefix + "ApiVersion"] = s.ApiVersion;
            settings[prefix + "ApiKey"] = s.ApiKey;
            settings[prefix + "Tools"] = s.Tools.ToString();
            foreach (var (m, j) in (s.Models ?? ["sim-small"]).Select((m, j) => (m, j)))
            {
                settings[$"{prefix}Models:{j}"] = m;
            }
            foreach (var (a, j) in (s.Aliases ?? []).Select((a, j) => (a, j)))
            {
                settings[$"{prefix}Aliases:{j}:Model"] = a.Model;
                settings[$"{prefix}Aliases:{j}:Upstream"] = a.Upstream;
            }
        }
        return new RouterHost(platform.Redis.ConnectionString, platform.Policies, [], extraSettings: settings);
    }

    [Fact]
    public async Task An_openai_endpoint_receives_no_cache_salt_only_the_tenants_derived_prompt_cache_key()
    {
        await using var openai = new StubUpstream();
        using var router = RouterOver(new Stub("openai", openai.BaseUrl, "OpenAi"));
        var tenant = platform.Policies.Add("pro", kvCache: "shared");
        using var client = router.ClientFor(tenant);

        await Chat.CompleteAsync(client, Chat.Body("hello", extra: b => { b["cache_salt"] = "client-chosen"; b["prompt_cache_key"] = "someone-else"; }));

        var sent = Assert.Single(openai.Received).Body;
        Assert.False(sent.ContainsKey("cache_salt"));
        var salts = new CacheSaltDeriver(Options.Create(new InferenceRouterOptions { CacheSaltSecret = RouterHost.CacheSaltSecret }));
        Assert.Equal(salts.ForTenant(tenant.TenantId), sent["prompt_cache_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_tenant_whose_policy_requires_cache_isolation_is_never_placed_on_a_shared_cache_upstream()
    {
        await using var openai = new StubUpstream();
        using var router = RouterOver(new Stub("openai", openai.BaseUrl, "OpenAi"));
        var isolated = platform.Policies.Add("pro", kvCache: "isolated");
        using var client = router.ClientFor(isolated);

        using var response = await Chat.PostAsync(client, Chat.Body("my secret prefix", extra: b => b["cache_salt"] = "anything"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.EndsWith("cache-isolation-unavailable", problem["type"]!.GetValue<string>());
        Assert.Contains("kvCachePolicy", problem["detail"]!.GetValue<string>());
        Assert.Empty(openai.Received);
    }

    [Fact]
    public async Task A_vllm_endpoint_receives_the_tenants_cache_salt_and_no_prompt_cache_key()
    {
        await using var vllm = new StubUpstream();
        using var router = RouterOver(new Stub("vllm", vllm.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        using var client = router.ClientFor(tenant);

        await Chat.CompleteAsync(client, Chat.Body("hello", extra: b => b["prompt_cache_key"] = "client-chosen"));

        var sent = Assert.Single(vllm.Received).Body;
        Assert.False(sent.ContainsKey("prompt_cache_key"));
        var salts = new CacheSaltDeriver(Options.Create(new InferenceRouterOptions { CacheSaltSecret = RouterHost.CacheSaltSecret }));
        Assert.Equal(salts.ForTenant(tenant.TenantId), sent["cache_salt"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_alias_sends_the_upstreams_model_name_and_answers_with_the_public_id_whole_and_streamed()
    {
        await using var vllm = new StubUpstream();
        using var router = RouterOver(new Stub("vllm", vllm.BaseUrl, "Vllm", Models: ["team-model"], Aliases: [("team-model", "org/vendor-model-2026-instruct")]));
        var tenant = platform.Policies.Add("pro", models: [new ModelEntitlement("team-model", 8192)]);
        using var client = router.ClientFor(tenant);

        var whole = await Chat.CompleteAsync(client, Chat.Body("hello", model: "team-model"));
        using var streamed = await Chat.PostAsync(client, Chat.Body("hello", model: "team-model", extra: b => b["stream"] = true));
        var chunks = (await streamed.Content.ReadAsStringAsync()).Split("\n\n")
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(e => JsonNode.Parse(e[6..])!).ToList();

        Assert.All(vllm.Received, r => Assert.Equal("org/vendor-model-2026-instruct", r.Body["model"]!.GetValue<string>()));
        Assert.Equal(2, vllm.Received.Count);
        Assert.Equal("team-model", whole["model"]!.GetValue<string>());
        Assert.Equal(3, chunks.Count);
        Assert.All(chunks, c => Assert.Equal("team-model", c["model"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Azure_openai_gets_its_key_in_api_key_the_api_version_in_the_query_and_the_deployment_as_model()
    {
        await using var azure = new StubUpstream();
        using var router = RouterOver(new Stub("azure", azure.BaseUrl, "AzureOpenAi", Models: ["gpt-4o"], Aliases: [("gpt-4o", "prod-gpt4o-deployment")], ApiVersion: "2024-10-21", ApiKey: "azure-key-of-this-endpoint"));
        var tenant = platform.Policies.Add("pro", kvCache: "shared", models: [new ModelEntitlement("gpt-4o", 128_000)]);
        using var client = router.ClientFor(tenant);

        var answer = await Chat.CompleteAsync(client, Chat.Body("hello", model: "gpt-4o", extra: b => b["max_tokens"] = 20));

        var sent = Assert.Single(azure.Received);
        Assert.Equal("azure-key-of-this-endpoint", sent.Headers["api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.Equal("?api-version=2024-10-21", sent.Query);
        Assert.Equal("prod-gpt4o-deployment", sent.Body["model"]!.GetValue<string>());
        Assert.Equal(20, sent.Body["max_completion_tokens"]!.GetValue<int>());
        Assert.False(sent.Body.ContainsKey("max_tokens"));
        Assert.Equal("gpt-4o", answer["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_call_falls_back_past_a_failing_endpoint_and_is_billed_and_settled_once()
    {
        await using var failing = new StubUpstream(failWith: 503);
        await using var healthy = new StubUpstream();
        var refused = ClosedLoopbackUrl();
        using var router = RouterOver(new Stub("failing", failing.BaseUrl, "Vllm"), new Stub("refusing", refused, "Vllm"), new Stub("healthy", healthy.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        platform.Policies.Change(tenant.TenantId, p => p with { TokensPerMinute = 1_000_000, MonthlyTokenQuota = 10_000_000 });
        using var client = router.ClientFor(tenant);

        const int calls = 3;
        for (var i = 0; i < calls; i++)
        {
            await Chat.CompleteAsync(client, Chat.Body($"call {i}", extra: b => b["max_tokens"] = 10));
        }

        Assert.NotEmpty(failing.Received); // the pool rotates its first choice, so some call met the failing endpoint first
        Assert.Equal(calls, healthy.Received.Count);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, calls);
        Assert.Equal(calls, events.Count);
        Assert.All(events, e => Assert.Equal(("healthy", "ok", 9L, 3L), (e.Endpoint, e.Status, e.InputTokens, e.OutputTokens)));
        var month = QuotaScopes.For(tenant.TenantId, 0, 10_000_000, DateTimeOffset.UtcNow).Single();
        var (used, reserved) = await new TokenLedger(platform.Redis.Connection, TimeProvider.System).ReadAsync(month);
        Assert.Equal((events.Sum(e => e.WeightedTokens), 0L), (used, reserved));
    }

    [Fact]
    public async Task Under_cache_aware_routing_a_tenant_whose_preferred_replica_fails_is_served_by_the_other_and_billed_once()
    {
        await using var failing = new StubUpstream(failWith: 503);
        await using var healthy = new StubUpstream();
        var settings = new Dictionary<string, string?> { ["InferenceRouter:LedgerDeadline"] = "00:00:05" };
        foreach (var (s, i) in new[] { ("failing", failing.BaseUrl), ("healthy", healthy.BaseUrl) }.Select((s, i) => (s, i)))
        {
            settings[$"InferenceRouter:Endpoints:{i}:Name"] = s.Item1;
            settings[$"InferenceRouter:Endpoints:{i}:BaseUrl"] = s.Item2;
            settings[$"InferenceRouter:Endpoints:{i}:Kind"] = "Vllm";
            settings[$"InferenceRouter:Endpoints:{i}:Models:0"] = "sim-small";
        }
        using var router = new RouterHost(platform.Redis.ConnectionString, platform.Policies, [], extraSettings: settings);

        // Each tenant's salt picks its replica; among 20 tenants some prefer the failing one (all missing it: 2^-20).
        var tenants = Enumerable.Range(0, 20).Select(_ => platform.Policies.Add("pro")).ToList();
        foreach (var tenant in tenants)
        {
            using var client = router.ClientFor(tenant);
            await Chat.CompleteAsync(client, Chat.Body("the same prompt", extra: b => b["max_tokens"] = 10));
        }

        Assert.NotEmpty(failing.Received);
        Assert.Equal(tenants.Count, healthy.Received.Count);
        foreach (var tenant in tenants)
        {
            var only = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
            Assert.Equal(("healthy", "ok"), (only.Endpoint, only.Status));
        }
    }

    [Fact]
    public async Task An_endpoint_that_does_not_answer_within_the_attempt_timeout_is_left_for_the_next()
    {
        await using var hung = new StubUpstream(hang: true);
        await using var healthy = new StubUpstream();
        using var router = RouterOver("00:00:00.500", new Stub("hung", hung.BaseUrl, "Vllm"), new Stub("healthy", healthy.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        using var client = router.ClientFor(tenant);

        for (var i = 0; i < 2; i++)
        {
            await Chat.CompleteAsync(client, Chat.Body($"call {i}", extra: b => b["max_tokens"] = 10));
        }

        Assert.NotEmpty(hung.Received);
        Assert.Equal(2, healthy.Received.Count);
        var events = await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 2);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("healthy", e.Endpoint));
    }

    [Fact]
    public async Task With_every_endpoint_failing_the_client_gets_one_502_and_one_error_event()
    {
        await using var first = new StubUpstream(failWith: 503);
        await using var second = new StubUpstream(failWith: 500);
        using var router = RouterOver(new Stub("first", first.BaseUrl, "Vllm"), new Stub("second", second.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        using var client = router.ClientFor(tenant);

        using var response = await Chat.PostAsync(client, Chat.Body("hello", extra: b => b["max_tokens"] = 10));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal((1, 1), (first.Received.Count, second.Received.Count));
        var only = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal("error", only.Status);
    }

    [Fact]
    public async Task A_free_tenants_chat_without_max_tokens_is_served_and_the_upstream_is_capped_at_the_tiers_default()
    {
        await using var vllm = new StubUpstream();
        await using var openai = new StubUpstream();
        using var router = RouterOver(new Stub("vllm", vllm.BaseUrl, "Vllm"), new Stub("openai", openai.BaseUrl, "OpenAi", Models: ["gpt-4o-mini"]));
        var free = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", 8192)]);
        platform.Policies.Change(free.TenantId, p => p with { TokensPerMinute = 20_000, MonthlyTokenQuota = 1_000_000, DefaultMaxOutputTokens = 1024 });
        var shared = platform.Policies.Add("free", kvCache: "shared", models: [new ModelEntitlement("gpt-4o-mini", 128_000)]);
        platform.Policies.Change(shared.TenantId, p => p with { TokensPerMinute = 20_000, DefaultMaxOutputTokens = 1024 });
        using var freeClient = router.ClientFor(free);
        using var sharedClient = router.ClientFor(shared);

        using var response = await Chat.PostAsync(freeClient, Chat.Body("what SDKs send by default: no max_tokens"));
        await Chat.CompleteAsync(sharedClient, Chat.Body("and to OpenAI", model: "gpt-4o-mini"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1024, Assert.Single(vllm.Received).Body["max_tokens"]!.GetValue<int>());
        var toOpenAi = Assert.Single(openai.Received).Body;
        Assert.Equal(1024, toOpenAi["max_completion_tokens"]!.GetValue<int>());
        Assert.False(toOpenAi.ContainsKey("max_tokens"));
    }

    [Fact]
    public async Task Without_a_tier_default_the_output_reserved_is_the_routers_default_within_the_context_left()
    {
        await using var vllm = new StubUpstream();
        using var router = RouterOver(new Stub("vllm", vllm.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro", models: [new ModelEntitlement("sim-small", 1000)]);
        using var client = router.ClientFor(tenant);

        await Chat.CompleteAsync(client, Chat.Body("a short prompt"));

        var cap = Assert.Single(vllm.Received).Body["max_tokens"]!.GetValue<int>();
        Assert.InRange(cap, 900, 999); // the router's default (4096) does not fit: what the 1000-token context leaves after the prompt
    }

    [Fact]
    public async Task An_external_endpoint_without_a_key_of_its_own_is_never_sent_the_platforms_simulator_key()
    {
        await using var vllm = new StubUpstream();
        using var router = RouterOver(new Stub("local-vllm", vllm.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        using var client = router.ClientFor(tenant);

        await Chat.CompleteAsync(client, Chat.Body("hello"));

        var headers = Assert.Single(vllm.Received).Headers;
        Assert.False(headers.ContainsKey("authorization"));
        Assert.DoesNotContain(headers.Values, v => v.Contains(SimulatorHost.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_chat_with_tools_skips_an_endpoint_that_does_not_take_them_and_a_chat_without_may_use_it()
    {
        await using var plain = new StubUpstream();
        await using var capable = new StubUpstream();
        using var router = RouterOver(new Stub("plain", plain.BaseUrl, "Vllm", Tools: false), new Stub("capable", capable.BaseUrl, "Vllm"));
        var tenant = platform.Policies.Add("pro");
        using var client = router.ClientFor(tenant);
        var tool = new JsonArray(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "lookup", ["parameters"] = new JsonObject { ["type"] = "object" } } });

        for (var i = 0; i < 6; i++)
        {
            await Chat.CompleteAsync(client, Chat.Body($"use a tool {i}", extra: b => b["tools"] = tool.DeepClone()));
            await Chat.CompleteAsync(client, Chat.Body($"no tools {i}"));
        }

        Assert.All(plain.Received, r => Assert.False(r.Body.ContainsKey("tools")));
        Assert.NotEmpty(plain.Received);
        Assert.Equal(6, capable.Received.Count(r => r.Body.ContainsKey("tools")));
    }

    /// <summary>A loopback address nothing listens on: connecting to it is refused at once.</summary>
    private static string ClosedLoopbackUrl()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"http://127.0.0.1:{port}/v1";
    }
}
