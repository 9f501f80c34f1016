using System.Net;
using System.Net.Http.Json;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>A key's own request and token limits, within its tenant's: stored, listed and handed to the Gateways.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class KeyLimitsTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task A_keys_own_limits_reach_the_gateway_with_its_resolution_and_show_in_the_list()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, key) = await cp.CreateKeyAsync(id, new { name = "capped", requestsPerMinute = 30, tokensPerMinute = 5_000 });
        var (_, uncapped) = await cp.CreateKeyAsync(id);
        using var client = cp.Operator();

        var resolved = await cp.ResolveKeyAsync(key);
        var listed = await client.GetStringAsync($"/admin/v1/tenants/{id}/keys");

        Assert.Equal((30, 5_000L), (resolved!.KeyRequestsPerMinute, resolved.KeyTokensPerMinute));
        Assert.Equal((0, 0L), ((await cp.ResolveKeyAsync(uncapped))!.KeyRequestsPerMinute, (await cp.ResolveKeyAsync(uncapped))!.KeyTokensPerMinute));
        Assert.Contains("\"requestsPerMinute\":30", listed);
        Assert.Contains(keyId, listed);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(-5, null)]
    [InlineData(null, 0L)]
    public async Task A_limit_that_is_not_positive_is_refused_400(int? requestsPerMinute, long? tokensPerMinute)
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Operator();

        var response = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys", new { name = "bad", requestsPerMinute, tokensPerMinute });

        Assert.Contains("requestsPerMinute", await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest));
    }
}
