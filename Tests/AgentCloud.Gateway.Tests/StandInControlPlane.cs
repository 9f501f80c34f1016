using AgentCloud.Platform.Budgets;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
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

    /// <summary>The headers of every other call forwarded to the stand-in (the routes of the real ControlPlane).</summary>
    public ConcurrentQueue<Dictionary<string, string>> Seen { get; } = new();

    public static async Task<StandInControlPlane> StartAsync()
    {
        var standIn = new StandInControlPlane();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var parameters = TenantContextToken.ValidationParameters([TestTenantContexts.Key], ServiceNames.ControlPlane);
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
            // As the ControlPlane: an expired key is refused, whatever else is true of it.
            return standIn._keys.TryGetValue(request.Key, out var key) && !(key.ExpiresAt <= DateTimeOffset.UtcNow) ? Results.Ok(key) : Results.NotFound();
        });
        // Everything else the Gateway routes to the ControlPlane (admin and vault calls) is recorded and answered 200.
        app.MapFallback(async (HttpContext http) =>
        {
            standIn.Seen.Enqueue(http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
            await http.Response.WriteAsJsonAsync(new { path = http.Request.Path.Value });
        });
        await app.StartAsync();
        standIn._app = app;
        standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    /// <summary>A key of the real shape that nobody registered.</summary>
    public static string RandomKey() =>
        $"ac_{RandomNumberGenerator.GetString(ApiKeyShape.PrefixAlphabet, ApiKeyShape.PrefixLength)}_{RandomNumberGenerator.GetString(ApiKeyShape.SecretAlphabet, ApiKeyShape.SecretLength)}";

    /// <summary>Registers a new key for a tenant (by default with every fixed capability) and returns (key id, secret key).</summary>
    public (string KeyId, string Key) AddKey(string tenantId, string tier = "pro", int requestsPerMinute = 100_000, int burst = 100_000,
        string failMode = "closed", IReadOnlyList<string>? capabilities = null, string defaultLane = "interactive", DateTimeOffset? expiresAt = null,
        int keyRequestsPerMinute = 0, string? projectId = null, long projectTokensPerMinute = 0, PeriodBudgets? budgets = null)
    {
        var keyId = "key_" + Guid.NewGuid().ToString("N")[..12];
        var secret = RandomKey();
        _keys[secret] = new ResolvedKey(keyId, tenantId, tier, $"key:{keyId}", capabilities ?? CapabilityCatalogue.Fixed, null,
            new TenantPolicy
            {
                TenantId = tenantId, Tier = tier, RequestsPerMinute = requestsPerMinute, RequestBurst = burst, RateLimitFailMode = WireNames.Parse<RateLimitFailMode>(failMode),
            }, defaultLane, expiresAt, keyRequestsPerMinute, ProjectId: projectId, ProjectTokensPerMinute: projectTokensPerMinute, Budgets: budgets);
        return (keyId, secret);
    }

    /// <summary>Gives a project a new budget, as the ControlPlane's PATCH does (it publishes; the test does).</summary>
    public void ChangeProjectBudget(string projectId, long tokensPerMinute)
    {
        foreach (var (secret, key) in _keys)
        {
            if (key.ProjectId == projectId)
            {
                _keys[secret] = key with { ProjectTokensPerMinute = tokensPerMinute };
            }
        }
    }

    /// <summary>Refuses a deleted project's keys from now on, as the ControlPlane does (the test publishes).</summary>
    public void DeleteProject(string projectId)
    {
        foreach (var (secret, key) in _keys)
        {
            if (key.ProjectId == projectId)
            {
                _keys.TryRemove(secret, out _);
            }
        }
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

    private readonly ConcurrentDictionary<string, ResolvedKey> _suspended = new();

    /// <summary>Refuses the tenant's keys from now on, as the ControlPlane does for a suspended tenant (the test publishes).</summary>
    public void Suspend(string tenantId)
    {
        foreach (var (secret, key) in _keys)
        {
            if (key.TenantId == tenantId && _keys.TryRemove(secret, out _))
            {
                _suspended[secret] = key;
            }
        }
    }

    public void Reactivate(string tenantId)
    {
        foreach (var (secret, key) in _suspended)
        {
            if (key.TenantId == tenantId && _suspended.TryRemove(secret, out _))
            {
                _keys[secret] = key;
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
