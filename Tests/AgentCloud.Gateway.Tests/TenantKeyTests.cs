using System.Net;
using AgentCloud.Gateway.Telemetry;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.Gateway.Tests;

/// <summary>Tenant API keys: resolved through the ControlPlane, turned into a signed context, refused when not valid.</summary>
public sealed class TenantKeyTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway();

    [Fact]
    public async Task A_valid_key_is_forwarded_with_a_signed_context_naming_the_keys_tenant()
    {
        var (keyId, key) = env.ControlPlane.AddKey("acme", "pro");
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = env.Upstream.LastFor("/v1/models")!;
        var context = await ValidateAsync(seen.Headers[TenantContextHeaders.Context], "inference-router");
        Assert.Equal("acme", context.TenantId);
        Assert.Equal("pro", context.Tier);
        Assert.Equal($"key:{keyId}", context.Principal);
        Assert.False(seen.Headers.ContainsKey("authorization"), "the tenant key must not travel upstream");
    }

    [Fact]
    public async Task A_call_without_a_lane_is_sent_in_its_keys_default_lane()
    {
        var (_, key) = env.ControlPlane.AddKey("nightly-jobs", defaultLane: "batch");
        using var client = _gateway.Client(key);

        await client.GetAsync("/v1/models");

        Assert.Equal("batch", env.Upstream.LastFor("/v1/models")!.Headers["x-agentcloud-lane"]);
    }

    [Fact]
    public async Task A_lane_the_call_names_wins_over_its_keys_default()
    {
        var (_, key) = env.ControlPlane.AddKey("nightly-jobs", defaultLane: "batch");
        using var client = _gateway.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("x-agentcloud-lane", "interactive");

        await client.SendAsync(request);

        Assert.Equal("interactive", env.Upstream.LastFor("/v1/models")!.Headers["x-agentcloud-lane"]);
    }

    [Fact]
    public async Task A_client_sent_context_and_tenant_headers_are_replaced_by_the_gateways_own()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        var forged = TestTenantContexts.Mint(TestTenantContexts.Tenant("victim", "enterprise"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/memory/forged-probe");
        request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, forged);
        request.Headers.TryAddWithoutValidation("x-tenant-id", "victim");
        request.Headers.TryAddWithoutValidation("X-Tenant-Tier", "enterprise");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = env.Upstream.LastFor("/v1/memory/forged-probe")!;
        Assert.NotEqual(forged, seen.Headers[TenantContextHeaders.Context]);
        Assert.DoesNotContain(seen.Headers.Keys, h => h.StartsWith("x-tenant-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("acme", (await ValidateAsync(seen.Headers[TenantContextHeaders.Context], "memory")).TenantId);
    }

    [Fact]
    public async Task Platform_headers_a_client_sends_such_as_the_broker_fleets_hop_mark_never_reach_a_service_but_its_lane_does()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/memory/platform-header-probe");
        request.Headers.TryAddWithoutValidation("x-agentcloud-fleet-hop", "some-broker");
        request.Headers.TryAddWithoutValidation("X-AgentCloud-Injector", "forged");
        request.Headers.TryAddWithoutValidation("x-agentcloud-revoked-keys", "none");
        request.Headers.TryAddWithoutValidation("x-agentcloud-lane", "interactive");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = env.Upstream.LastFor("/v1/memory/platform-header-probe")!;
        Assert.DoesNotContain(seen.Headers.Keys, h => h.Equals("x-agentcloud-fleet-hop", StringComparison.OrdinalIgnoreCase)
            || h.Equals("x-agentcloud-injector", StringComparison.OrdinalIgnoreCase) || h.Equals("x-agentcloud-revoked-keys", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("interactive", seen.Headers["x-agentcloud-lane"]);
        Assert.NotNull(seen.Headers[TenantContextHeaders.Context]); // the Gateway's own still goes
    }

    [Fact]
    public async Task An_unknown_key_is_refused_with_401_problem()
    {
        using var client = _gateway.Client(StandInControlPlane.RandomKey());

        var response = await client.GetAsync("/v1/models");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "Unknown or revoked API key");
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Theory]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer")]
    [InlineData("Bearer short")]
    [InlineData("Bearer has spaces inside the key value")]
    [InlineData("Token ac_0123456789abcdef0123456789")]
    [InlineData("Digest username=\"x\", realm=\"y\"")]
    [InlineData("ac_0123456789abcdef0123456789")]
    public async Task Odd_authorization_headers_are_refused_with_401_problem_without_asking_the_controlplane(string authorization)
    {
        using var client = _gateway.Client();
        var callsBefore = env.ControlPlane.ResolveCalls;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "API key");
        Assert.Equal(callsBefore, env.ControlPlane.ResolveCalls);
    }

    [Fact]
    public async Task Two_authorization_headers_are_refused()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + key, "Bearer " + key]);

        var response = await client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "API key");
    }

    [Fact]
    public async Task A_key_a_service_says_it_revoked_is_refused_on_the_very_next_call_and_the_header_stays_inside()
    {
        var (keyId, key) = env.ControlPlane.AddKey("run-owner");
        using var client = _gateway.Client(key);
        await client.GetAsync("/v1/models");
        env.ControlPlane.Revoke(keyId);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/v1/sandboxes/sbx_gone");
        delete.Headers.Add("x-test-announce-revoked", keyId);

        var deleted = await client.SendAsync(delete);
        var next = await client.GetAsync("/v1/models");

        Assert.False(deleted.Headers.Contains("x-agentcloud-revoked-keys"));
        await Problem.AssertAsync(next, HttpStatusCode.Unauthorized, "API key");
    }

    [Fact]
    public async Task A_key_is_resolved_once_and_then_served_from_the_cache()
    {
        var (_, key) = env.ControlPlane.AddKey("cached");
        using var client = _gateway.Client(key);
        await client.GetAsync("/v1/models");
        var callsAfterFirst = env.ControlPlane.ResolveCalls;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        }

        Assert.Equal(callsAfterFirst, env.ControlPlane.ResolveCalls);
    }

    [Fact]
    public async Task The_gateway_asks_the_controlplane_with_its_own_signed_identity()
    {
        var (_, key) = env.ControlPlane.AddKey("identity-check");
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/models");

        // The stand-in answers 401 to any caller without a valid Gateway context, so a 200 shows it was accepted.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(env.ControlPlane.Callers, c => c.TenantId == TenantContext.PlatformTenantId && c.Principal == "gateway" && c.Has(TenantContext.GatewayCapability));
    }

    [Fact]
    public async Task A_controlplane_failure_is_answered_503_problem_not_500()
    {
        var (_, key) = env.ControlPlane.AddKey("troubled");
        env.ControlPlane.Failing[key] = true;
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/models");

        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "retry");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Theory]
    [InlineData(TenantContext.PlatformTenantId, "inference")]
    [InlineData("acme", TenantContext.AdminCapability)]
    [InlineData("acme", TenantContext.GatewayCapability)]
    public async Task A_key_that_would_carry_platform_powers_is_refused(string tenantId, string capability)
    {
        var (_, key) = env.ControlPlane.AddKey(tenantId, capabilities: [capability]);
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/models");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/admin/v1/tenants")]
    [InlineData("/admin/v1/sandboxes")]
    [InlineData("/admin/v1/sandboxes?tenantId=acme")]
    public async Task A_tenant_key_does_not_open_the_admin_api(string path)
    {
        var (_, key) = env.ControlPlane.AddKey("acme", capabilities: [.. Platform.Contracts.CapabilityCatalogue.Fixed]);
        using var client = _gateway.Client(key);

        var response = await client.GetAsync(path);

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "operator key");
    }

    [Fact]
    public async Task Failed_attempts_are_all_counted_but_logged_at_most_once_per_source_and_window()
    {
        using var failures = _gateway.Counter(GatewayMetrics.AuthFailureCounter);
        using var client = _gateway.Client();
        var before = _gateway.Logs.Count(l => l.Category.EndsWith(nameof(Auth.FailedAuthAudit), StringComparison.Ordinal));

        for (var i = 0; i < 40; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer guess-{i:D4}-{Guid.NewGuid():N}");
            // The address's first 20 failures in a window are 401; the rest 429 (AbuseResistanceTests).
            Assert.Equal(i < 20 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, (await client.SendAsync(request)).StatusCode);
        }

        Assert.Equal(40, failures.Total);
        var logged = _gateway.Logs.Count(l => l.Category.EndsWith(nameof(Auth.FailedAuthAudit), StringComparison.Ordinal)) - before;
        Assert.InRange(logged, 0, 2);
    }

    [Fact]
    public async Task The_upstreams_remaining_tokens_header_reaches_the_client_with_the_request_limits()
    {
        var (_, key) = env.ControlPlane.AddKey("headers", requestsPerMinute: 600, burst: 50);
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("12345", response.Headers.GetValues(EchoUpstream.TokensHeader).Single());
        Assert.Equal("600", response.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("49", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
    }

    [Fact]
    public async Task A_path_no_service_serves_is_404_problem()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/nothing-here");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Internal_apis_are_never_routed()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);

        var response = await client.PostAsync("/internal/v1/keys/resolve", new StringContent("{\"key\":\"x\"}"));

        await Problem.AssertAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Health_answers_without_a_key_and_includes_redis()
    {
        using var client = _gateway.Client();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("StackExchange.Redis", await response.Content.ReadAsStringAsync());
    }

    private static async Task<TenantContext> ValidateAsync(string token, string audience)
    {
        var result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters([TestTenantContexts.Key], audience));
        Assert.True(result.IsValid, result.Exception?.Message);
        return TenantContextToken.FromClaims(result.ClaimsIdentity)!;
    }

    public void Dispose() => _gateway.Dispose();
}
