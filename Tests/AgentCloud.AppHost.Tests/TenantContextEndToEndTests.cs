using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Every service behind the Gateway refuses calls that do not carry a valid Gateway-signed tenant context,
/// whatever is forged; and the one valid token gets through, so the refusals are shown able to fail.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class TenantContextEndToEndTests(PlatformFixture platform)
{
    public static TheoryData<string> ProtectedServices => new() { "controlplane", "inference-router", "sandbox-broker", "usage-aggregator", "memory", "tools" };

    private static readonly ECDsaSecurityKey GatewayKey = TenantContextSigningKey.FromSeed(AppHostArgs.SigningSeed);
    private static readonly TenantContext Acme = TestTenantContexts.Tenant("acme");

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_call_without_tenant_context_is_refused(string service)
    {
        var response = await SendAsync(service, token: null);

        await AssertUnauthorizedProblemAsync(response, "no tenant context");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_context_signed_by_another_key_is_refused(string service)
    {
        var forger = TenantContextSigningKey.FromSeed(TestTenantContexts.ForgerSeed);

        var response = await SendAsync(service, TenantContextToken.Mint(Acme, forger, DateTimeOffset.UtcNow, null, [service]));

        await AssertUnauthorizedProblemAsync(response, "unknown key");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_forged_context_that_claims_the_gateways_key_id_is_refused(string service)
    {
        var forger = TenantContextSigningKey.FromSeed(TestTenantContexts.ForgerSeed);
        forger.KeyId = GatewayKey.KeyId;

        var response = await SendAsync(service, TenantContextToken.Mint(Acme, forger, DateTimeOffset.UtcNow, null, [service]));

        await AssertUnauthorizedProblemAsync(response, "signature is invalid");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task An_expired_context_is_refused(string service)
    {
        var token = TenantContextToken.Mint(Acme, GatewayKey, DateTimeOffset.UtcNow.AddMinutes(-10), TimeSpan.FromSeconds(60), [service]);

        var response = await SendAsync(service, token);

        await AssertUnauthorizedProblemAsync(response, "expired");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_context_whose_claims_were_altered_after_signing_is_refused(string service)
    {
        var parts = TenantContextToken.Mint(Acme, GatewayKey, DateTimeOffset.UtcNow, null, [service]).Split('.');
        var claims = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"acme\"", "\"victim\"");
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(claims)}.{parts[2]}";

        var response = await SendAsync(service, tampered);

        await AssertUnauthorizedProblemAsync(response, "signature is invalid");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task An_unsigned_context_is_refused(string service)
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var claims = Base64UrlEncoder.Encode($$"""{"sub":"x","tid":"acme","tier":"enterprise","iss":"{{TenantContextHeaders.Issuer}}","aud":"{{service}}","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}""");

        var response = await SendAsync(service, $"{header}.{claims}.");

        await AssertUnauthorizedProblemAsync(response, "Invalid tenant context");
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_valid_gateway_signed_context_is_accepted(string service)
    {
        var response = await SendAsync(service, TenantContextToken.Mint(Acme, GatewayKey, DateTimeOffset.UtcNow, null, [service]));

        // Past the context check the path is simply not one this service serves.
        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ProtectedServices))]
    public async Task A_context_minted_for_another_service_is_refused(string service)
    {
        var other = service == "memory" ? "inference-router" : "memory";

        var response = await SendAsync(service, TenantContextToken.Mint(Acme, GatewayKey, DateTimeOffset.UtcNow, null, [other]));

        await AssertUnauthorizedProblemAsync(response, "minted for another service");
    }

    [Fact]
    public async Task The_model_simulator_refuses_calls_without_its_upstream_api_key()
    {
        using var client = platform.App.CreateHttpClient("model-simulator", "http");

        var without = await client.GetAsync("/v1/models");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AppHostArgs.ModelApiKey);
        var with = await client.SendAsync(request);

        await AssertUnauthorizedProblemAsync(without, "upstream API key");
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string service, string? token)
    {
        using var client = platform.App.CreateHttpClient(service, "http");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/probe");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, token);
        }
        return await client.SendAsync(request);
    }

    internal static async Task AssertUnauthorizedProblemAsync(HttpResponseMessage response, string detailFragment)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(detailFragment, body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":401", body);
    }
}
