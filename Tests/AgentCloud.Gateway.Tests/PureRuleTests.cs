using AgentCloud.Platform.Contracts;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Gateway.Limits;
using AgentCloud.Gateway.RateLimiting;
using AgentCloud.Gateway.Signing;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.Gateway.Tests;

/// <summary>Small rules of the Gateway that need no server: body limits per route, key shape, lease sizes, context reuse.</summary>
public sealed class PureRuleTests
{
    private static readonly RequestLimitsOptions Limits = new();

    [Theory]
    [InlineData("PUT", "/v1/sandboxes/sb1/files/a.txt", true)]
    [InlineData("PUT", "/v1/sandboxes/sb1/files/dir/deep/a.bin", true)]
    [InlineData("GET", "/v1/sandboxes/sb1/files/a.txt", false)]
    [InlineData("POST", "/v1/sandboxes/sb1/files/a.txt", false)]
    [InlineData("PUT", "/v1/sandboxes/sb1/files", false)]
    [InlineData("PUT", "/v1/sandboxes/files/x", false)]
    [InlineData("PUT", "/v1/memory/c/points", false)]
    [InlineData("PUT", "/v1/sandboxesX/sb1/files/a", false)]
    [InlineData("PUT", "/v1/sandboxes/sb1/archive", true)]
    [InlineData("PUT", "/v1/sandboxes/sb1/archive/dest/deep", true)]
    [InlineData("GET", "/v1/sandboxes/sb1/archive", false)]
    [InlineData("PUT", "/v1/sandboxes/sb1/dirs/a", false)]
    public void Only_file_uploads_get_the_large_body_limit(string method, string path, bool large)
    {
        var limit = BodyLimits.For(method, new PathString(path), Limits);

        Assert.Equal(large ? Limits.MaxFileUploadBytes : Limits.MaxBodyBytes, limit);
    }

    [Theory]
    [InlineData("ac_abcdefghij01_0123456789ABCDEFGHIJabcdefghij0123456789", true)]
    [InlineData("short", false)]
    [InlineData("ac_0123456789abcdef", false)]
    [InlineData("ac_ABCDEFGHIJ01_0123456789ABCDEFGHIJabcdefghij0123456789", false)]
    [InlineData("ac_abcdefghij01_0123456789ABCDEFGHIJabcdefghij012345678", false)]
    [InlineData("ac_abcdefghij01_0123456789ABCDEFGHIJabcdefghij0123456789E", false)]
    [InlineData("ac_abcdefghij01_0123456789ABCDEFGHIJabcdefghij01234567\u00e9D", false)]
    [InlineData("ac_abcdefghij01_0123456789ABCDEFGHIJabcdefghij01234567-D", false)]
    [InlineData("xx_abcdefghij01_0123456789ABCDEFGHIJabcdefghij0123456789", false)]
    [InlineData("ac_abcdefghij01-0123456789ABCDEFGHIJabcdefghij0123456789", false)]
    public void Keys_must_have_the_one_key_shape(string key, bool wellFormed) =>
        Assert.Equal(wellFormed, ApiKeyShape.IsWellFormed(key));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(127, 1)]
    [InlineData(256, 2)]
    [InlineData(1_000, 7)]
    [InlineData(100_000_000, 32)]
    public void Small_buckets_are_drawn_one_token_at_a_time_and_leases_stay_small(int capacity, int lease) =>
        Assert.Equal(lease, RedisTokenBucket.LeaseSize(capacity));

    [Fact]
    public void A_context_is_reused_within_the_window_and_signed_anew_after_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var keys = new GatewaySigningKeys(Options.Create(new GatewayOptions
        {
            SigningKeySeed = TestTenantContexts.SigningSeed, ContextReuseWindow = TimeSpan.FromSeconds(5),
        }), time);
        var acme = TestTenantContexts.Tenant("acme");

        var first = keys.Mint(acme, "memory");
        time.Advance(TimeSpan.FromSeconds(4));
        var reused = keys.Mint(acme, "memory");
        var otherTenant = keys.Mint(TestTenantContexts.Tenant("globex"), "memory");
        var otherService = keys.Mint(acme, "inference-router");
        time.Advance(TimeSpan.FromSeconds(2));
        var fresh = keys.Mint(acme, "memory");

        Assert.Equal(first, reused);
        Assert.NotEqual(first, otherTenant);
        Assert.NotEqual(first, otherService);
        Assert.NotEqual(first, fresh);
    }
}
