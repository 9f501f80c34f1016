using System.Collections.Concurrent;
using AgentCloud.Platform.Tenancy;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>
/// Checks a tenant-context token against the Gateway's keys and reads the context out of it. A token that passed is
/// remembered until it expires: the Gateway hands the same token out for a caller's calls within its reuse window, and
/// an ES256 check costs more than the rest of a small call. Only a byte-identical token hits, and never past its own expiry.
/// </summary>
public sealed class TenantContextValidator(JwksKeySource keys, IOptions<TenantContextOptions> options)
{
    private const int MaxRemembered = 10_000;
    private readonly string _audience = options.Value.Audience
        ?? throw new InvalidOperationException("TenantContext:Audience is not set: name the service whose contexts this process accepts.");
    private readonly ConcurrentDictionary<string, (TenantContext Context, ClaimsIdentity Identity, DateTime ValidTo)> _passed = new(StringComparer.Ordinal);

    public async Task<TenantContextValidation> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (_passed.TryGetValue(token, out var known))
        {
            if (DateTime.UtcNow < known.ValidTo)
            {
                // A copy: a request's handlers may add to their identity, which must not reach the next request.
                return TenantContextValidation.Valid(known.Context, known.Identity.Clone());
            }
            _passed.TryRemove(token, out _);
        }
        var validation = await ValidateUncachedAsync(token, cancellationToken);
        if (validation is { IsValid: true, Context: { } context, Identity: { } identity, ValidTo: { } validTo })
        {
            if (_passed.Count >= MaxRemembered)
            {
                _passed.Clear();
            }
            _passed[token] = (context, identity.Clone(), validTo);
        }
        return validation;
    }

    private async Task<TenantContextValidation> ValidateUncachedAsync(string token, CancellationToken cancellationToken)
    {
        var result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters(await keys.GetKeysAsync(false, cancellationToken), _audience));
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The Gateway may have rotated its key since we fetched the JWKS.
            result = await TenantContextToken.ValidateAsync(token, TenantContextToken.ValidationParameters(await keys.GetKeysAsync(true, cancellationToken), _audience));
        }
        if (!result.IsValid)
        {
            return TenantContextValidation.Invalid(Describe(result.Exception));
        }
        var context = TenantContextToken.FromClaims(result.ClaimsIdentity);
        return context is null
            ? TenantContextValidation.Invalid("the tenant context lacks tenant, tier or principal")
            : TenantContextValidation.Valid(context, result.ClaimsIdentity) with { ValidTo = result.SecurityToken?.ValidTo };
    }

    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "the tenant context has expired",
        SecurityTokenNotYetValidException => "the tenant context is not valid yet",
        SecurityTokenSignatureKeyNotFoundException => "the tenant context is signed by an unknown key",
        SecurityTokenInvalidSignatureException => "the tenant context signature is invalid",
        SecurityTokenInvalidIssuerException => "the tenant context was not issued by the Gateway",
        SecurityTokenInvalidAudienceException => "the tenant context was minted for another service",
        SecurityTokenInvalidAlgorithmException => "the tenant context uses an algorithm other than ES256",
        _ => "the tenant context is malformed or invalid",
    };
}

public sealed record TenantContextValidation(bool IsValid, TenantContext? Context, ClaimsIdentity? Identity, string? Error)
{
    /// <summary>When the validated token expires (UTC), when known.</summary>
    public DateTime? ValidTo { get; init; }

    public static TenantContextValidation Valid(TenantContext context, ClaimsIdentity identity) => new(true, context, identity, null);
    public static TenantContextValidation Invalid(string error) => new(false, null, null, error);
}
