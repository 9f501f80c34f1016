using System.Net;
using System.Net.Http.Headers;

namespace AgentCloud.AppHost.Tests;

[Collection(PlatformCollection.Name)]
public sealed class GatewayAdminAuthTests(PlatformFixture platform)
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer")]
    [InlineData("test-admin-key-0123456789abcdefghij")]
    public async Task Admin_api_without_the_operator_key_is_refused(string? authorization)
    {
        using var client = platform.Gateway();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.SendAsync(request);

        await TenantContextEndToEndTests.AssertUnauthorizedProblemAsync(response, "operator key");
    }

    [Fact]
    public async Task Admin_api_with_the_operator_key_is_passed_to_the_controlplane()
    {
        using var client = platform.Gateway();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/tenants");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AppHostArgs.AdminKey);

        var response = await client.SendAsync(request);

        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Tenant_api_without_a_key_is_refused_with_a_request_id()
    {
        using var client = platform.Gateway();

        var response = await client.GetAsync("/v1/models");

        await TenantContextEndToEndTests.AssertUnauthorizedProblemAsync(response, "API key");
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task The_gateway_publishes_its_public_signing_key_and_nothing_private()
    {
        using var client = platform.Gateway();

        var jwks = await client.GetStringAsync("/.well-known/jwks.json");

        Assert.Contains("\"kty\":\"EC\"", jwks);
        Assert.Contains("\"alg\":\"ES256\"", jwks);
        Assert.DoesNotContain("\"d\"", jwks);
    }
}
