using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Rotation without downtime and keys that expire, through the operator API and the resolve path the Gateways use.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class KeyRotationTests(ControlPlaneFixture cp)
{
    [Fact]
    public async Task Within_the_grace_period_both_secrets_resolve_to_the_same_key_and_the_old_one_only_until_the_grace_ends()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, oldKey) = await cp.CreateKeyAsync(id);
        var published = await RedisMessages.SubscribeAsync(cp.Redis, PlatformChannels.KeyRevoked);

        var rotated = await RotateAsync(id, keyId, graceSeconds: 3600);

        var newKey = rotated.GetProperty("key").GetString()!;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(keyId, rotated.GetProperty("id").GetString());
        Assert.True(rotated.GetProperty("propagated").GetBoolean());
        var graceEnd = rotated.GetProperty("previousKeyValidUntil").GetDateTimeOffset();
        Assert.InRange(graceEnd, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
        var viaNew = await cp.ResolveKeyAsync(newKey);
        var viaOld = await cp.ResolveKeyAsync(oldKey);
        Assert.Equal((keyId, keyId), (viaNew!.KeyId, viaOld!.KeyId));
        Assert.Null(viaNew.ExpiresAt);
        // Every cache of the old secret's answer is bounded by the grace.
        Assert.Equal(graceEnd, viaOld.ExpiresAt);
        Assert.Equal(keyId, await published.NextAsync(m => m == keyId));
    }

    [Fact]
    public async Task After_a_short_grace_the_old_secret_is_refused_and_the_new_one_still_works()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, oldKey) = await cp.CreateKeyAsync(id);

        var newKey = (await RotateAsync(id, keyId, graceSeconds: 1)).GetProperty("key").GetString()!;

        await LocalProcess.WaitUntilAsync(async () => await cp.ResolveKeyAsync(oldKey) is null, TimeSpan.FromSeconds(15), "the old secret to be refused after its grace");
        Assert.Equal(keyId, (await cp.ResolveKeyAsync(newKey))!.KeyId);
    }

    [Fact]
    public async Task Without_a_grace_the_old_secret_is_refused_at_once()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, oldKey) = await cp.CreateKeyAsync(id);

        var rotated = await RotateAsync(id, keyId, graceSeconds: null);

        Assert.Null(await cp.ResolveKeyAsync(oldKey));
        Assert.Equal(JsonValueKind.Null, rotated.GetProperty("previousKeyValidUntil").ValueKind);
        Assert.Equal(keyId, (await cp.ResolveKeyAsync(rotated.GetProperty("key").GetString()!))!.KeyId);
    }

    [Fact]
    public async Task Rotating_again_ends_the_grace_of_the_secret_before_the_last()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, first) = await cp.CreateKeyAsync(id);

        var second = (await RotateAsync(id, keyId, graceSeconds: 3600)).GetProperty("key").GetString()!;
        var third = (await RotateAsync(id, keyId, graceSeconds: 3600)).GetProperty("key").GetString()!;

        Assert.Null(await cp.ResolveKeyAsync(first));
        Assert.NotNull(await cp.ResolveKeyAsync(second));
        Assert.NotNull(await cp.ResolveKeyAsync(third));
    }

    [Fact]
    public async Task A_revoked_key_cannot_be_rotated_back_to_life_nor_can_a_grace_above_a_day_be_asked()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, key) = await cp.CreateKeyAsync(id);
        using var client = cp.Operator();

        var tooLong = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys/{keyId}/rotate", new { gracePeriodSeconds = 86_401 });
        Assert.Contains("gracePeriodSeconds", await ProblemAssert.IsProblemAsync(tooLong, HttpStatusCode.BadRequest));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/admin/v1/tenants/{id}/keys/{keyId}")).StatusCode);

        var rotation = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys/{keyId}/rotate", new { gracePeriodSeconds = 60 });

        Assert.Contains("revoked", await ProblemAssert.IsProblemAsync(rotation, HttpStatusCode.Conflict));
        Assert.Null(await cp.ResolveKeyAsync(key));
        var missing = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys/key_0000000000000000/rotate", new { });
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_rotation_is_in_the_tenants_audit_trail_without_any_secret()
    {
        var id = await cp.CreateTenantAsync();
        var (keyId, oldKey) = await cp.CreateKeyAsync(id);
        var newKey = (await RotateAsync(id, keyId, graceSeconds: 60)).GetProperty("key").GetString()!;
        using var client = cp.Operator();

        var audit = await client.GetStringAsync($"/admin/v1/audit?tenantId={id}");

        Assert.Contains("key.rotated", audit);
        Assert.DoesNotContain(oldKey.Split('_')[2], audit);
        Assert.DoesNotContain(newKey.Split('_')[2], audit);
    }

    [Fact]
    public async Task A_key_made_to_expire_resolves_until_then_and_never_after()
    {
        var id = await cp.CreateTenantAsync();
        using var client = cp.Operator();
        var past = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys", new { name = "late", expiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        Assert.Contains("expiresAt", await ProblemAssert.IsProblemAsync(past, HttpStatusCode.BadRequest));
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);

        var (keyId, key) = await cp.CreateKeyAsync(id, new { name = "short-lived", expiresAt });

        var resolved = await cp.ResolveKeyAsync(key);
        Assert.Equal(keyId, resolved!.KeyId);
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), resolved.ExpiresAt!.Value.ToUnixTimeMilliseconds(), 1.0);
        await LocalProcess.WaitUntilAsync(async () => await cp.ResolveKeyAsync(key) is null, TimeSpan.FromSeconds(15), "the key to be refused after it expired");
        var rotation = await client.PostAsJsonAsync($"/admin/v1/tenants/{id}/keys/{keyId}/rotate", new { gracePeriodSeconds = 60 });
        Assert.Contains("expired", await ProblemAssert.IsProblemAsync(rotation, HttpStatusCode.Conflict));
    }

    private async Task<JsonElement> RotateAsync(string tenantId, string keyId, int? graceSeconds)
    {
        using var client = cp.Operator();
        var response = graceSeconds is { } g
            ? await client.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys/{keyId}/rotate", new { gracePeriodSeconds = g })
            : await client.PostAsync($"/admin/v1/tenants/{tenantId}/keys/{keyId}/rotate", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
