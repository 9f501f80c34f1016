using System.Collections.Concurrent;
using System.Net;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.ServiceDefaults.Tenancy;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// Stands in for our ControlPlane's key-resolution API (POST /internal/v1/keys/resolve) on a loopback port: it answers
/// for the keys a test registers, 404 for the rest, and refuses callers without the Gateway's signed identity.
/// </summary>
public sealed class StandInControlPlane : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ResolvedKey> _keys = new();
    private WebApplication? _app;

    public string Url { get; private set; } = "";

    public int ResolveCalls;

    /// <summary>Keys for which the stand-in answers 500, as a ControlPlane in trouble would.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    public ConcurrentQueue<TenantContext> Callers { get; } = new();

    public static async Task<StandInControlPlane> StartAsync()
    {
        var standIn = new StandInControlPlane();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var parameters = TenantContextToken.ValidationParameters([TestTenantContexts.Key]);
        app.MapPost("/internal/v1/keys/resolve", async (HttpContext http, ResolveKeyRequest request) =>
        {
            Interlocked.Increment(ref standIn.ResolveCalls);
            var validated = await TenantContextToken.ValidateAsync(http.Request.Headers[TenantContextHeaders.Context].ToString(), parameters);
            var caller = validated.IsValid ? TenantContextToken.FromClaims(validated.ClaimsIdentity) : null;
            if (caller is null || !caller.Has(TenantContext.GatewayCapability))
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }
            standIn.Callers.Enqueue(caller);
            if (standIn.Failing.ContainsKey(request.Key))
            {
                return Results.StatusCode(StatusCodes.Status500InternalServerError);
            }
            return standIn._keys.TryGetValue(request.Key, out var key) ? Results.Ok(key) : Results.NotFound();
        });
        await app.StartAsync();
        standIn._app = app;
        standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    /// <summary>Registers a new key for a tenant and returns (key id, secret key).</summary>
    public (string KeyId, string Key) AddKey(string tenantId, string tier = "pro", int requestsPerMinute = 100_000, int burst = 100_000,
        string failMode = "closed", IReadOnlyList<string>? capabilities = null, string defaultLane = "interactive")
    {
        var keyId = "key_" + Guid.NewGuid().ToString("N")[..12];
        var secret = "ac_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        _keys[secret] = new ResolvedKey(keyId, tenantId, tier, $"key:{keyId}", capabilities ?? ["inference", "sandbox"], null,
            new TenantPolicy
            {
                TenantId = tenantId, Tier = tier, RequestsPerMinute = requestsPerMinute, RequestBurst = burst, RateLimitFailMode = failMode,
            }, defaultLane);
        return (keyId, secret);
    }

    /// <summary>Forgets the key as the ControlPlane does on revocation (it does not publish; the test does).</summary>
    public void Revoke(string keyId)
    {
        foreach (var (secret, key) in _keys)
        {
            if (key.KeyId == keyId)
            {
                _keys.TryRemove(secret, out _);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
