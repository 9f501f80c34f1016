using System.Security.Claims;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.ServiceDefaults.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// The router remembers tenant contexts that passed their signature check, so the Gateway's reused token costs one
/// ES256 check, not one per call. A hostile caller must gain nothing from it: no altered, expired or foreign token rides
/// on a remembered one, and no request sees another's identity object.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class TenantContextCacheTests(RouterPlatform platform)
{
    private TenantContextValidator Validator => platform.Router.Services.GetRequiredService<TenantContextValidator>();

    [Fact]
    public async Task A_token_with_one_character_changed_is_refused_after_its_genuine_twin_was_accepted()
    {
        var genuine = TestTenantContexts.Mint(TestTenantContexts.Tenant("cache-victim"));
        Assert.True((await Validator.ValidateAsync(genuine, CancellationToken.None)).IsValid);

        var parts = genuine.Split('.');
        // A character inside the signature (the last one may carry only padding bits).
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';
        var badSignature = string.Join('.', parts[0], parts[1], new string(signature));
        var otherPayload = TestTenantContexts.Mint(TestTenantContexts.Tenant("cache-attacker")).Split('.')[1];
        var swappedPayload = string.Join('.', parts[0], otherPayload, parts[2]);

        Assert.False((await Validator.ValidateAsync(badSignature, CancellationToken.None)).IsValid);
        Assert.False((await Validator.ValidateAsync(swappedPayload, CancellationToken.None)).IsValid);
        Assert.True((await Validator.ValidateAsync(genuine, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task An_expired_token_is_refused_every_time()
    {
        var expired = TestTenantContexts.Mint(TestTenantContexts.Tenant("cache-late"), TimeSpan.FromSeconds(60), DateTimeOffset.UtcNow.AddMinutes(-10));

        Assert.False((await Validator.ValidateAsync(expired, CancellationToken.None)).IsValid);
        Assert.False((await Validator.ValidateAsync(expired, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_has_expired()
    {
        var shortLived = TestTenantContexts.Mint(TestTenantContexts.Tenant("cache-short"), TimeSpan.FromSeconds(1));
        var first = await Validator.ValidateAsync(shortLived, CancellationToken.None);
        Assert.True(first.IsValid);

        // Past its expiry and the validator's clock skew (5 s): the remembered pass must not outlive the token.
        var expiredAt = first.ValidTo!.Value.AddSeconds(6);
        while (DateTime.UtcNow <= expiredAt)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        var later = await Validator.ValidateAsync(shortLived, CancellationToken.None);
        Assert.False(later.IsValid);
        Assert.Equal("the tenant context has expired", later.Error);
    }

    [Fact]
    public async Task Each_call_gets_its_own_copy_of_a_remembered_identity()
    {
        var token = TestTenantContexts.Mint(TestTenantContexts.Tenant("cache-copy"));
        var first = await Validator.ValidateAsync(token, CancellationToken.None);
        first.Identity!.AddClaim(new Claim("injected", "by-an-earlier-request"));

        var second = await Validator.ValidateAsync(token, CancellationToken.None);

        Assert.True(second.IsValid);
        Assert.NotSame(first.Identity, second.Identity);
        Assert.False(second.Identity!.HasClaim("injected", "by-an-earlier-request"));
        Assert.Equal("cache-copy", second.Context!.TenantId);
    }
}
