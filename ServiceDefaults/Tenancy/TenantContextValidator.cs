using AgentCloud.Platform.Tenancy;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>Checks a tenant-context token against the Gateway's keys and reads the context out of it.</summary>
public sealed class TenantContextValidator(JwksKeySource keys, IOptions<TenantContextOptions> options)
{
    private readonly string _audience = options.Value.Audience
        ?? throw new InvalidOperationException("TenantContext:Audience is not set: name the service whose contexts this process accepts.");

    public async Task<TenantContextValidation> ValidateAsync(string token, CancellationToken cancellationToken)
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
            : TenantContextValidation.Valid(context, result.ClaimsIdentity);
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
    public static TenantContextValidation Valid(TenantContext context, ClaimsIdentity identity) => new(true, context, identity, null);
    public static TenantContextValidation Invalid(string error) => new(false, null, null, error);
}
