using System.Security.Claims;
using AgentCloud.Platform.Budgets;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.Platform.Tenancy;

/// <summary>Mints and reads the short-lived signed tenant-context token (a JWT signed with ES256).</summary>
public static class TenantContextToken
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private const string TenantClaim = "tid";
    private const string TierClaim = "tier";
    private const string CapabilitiesClaim = "caps";
    private const string RunClaim = "run";
    private const string ViaClaim = "via";
    private const string KeyTokensPerMinuteClaim = "ktpm";
    private const string ProjectClaim = "prj";
    private const string ProjectTokensPerMinuteClaim = "ptpm";

    // Period budgets, compact: project weighted tokens and micro-dollars per period, its period (d|w|m) and alert
    // thresholds (only when not the default 80/100); the key's micro-dollars per period and its period.
    private const string ProjectPeriodTokensClaim = "pbt";
    private const string ProjectPeriodMicrodollarsClaim = "pbd";
    private const string ProjectPeriodClaim = "pbp";
    private const string ProjectAlertThresholdsClaim = "pba";
    private const string KeyMicrodollarsClaim = "kbd";
    private const string KeyPeriodClaim = "kbp";
    private const string KeyBudgetOwnerClaim = "kbo";

    /// <summary>
    /// Mints a token for the services named in <paramref name="audiences"/> (each accepts only a token naming it);
    /// only the Gateway holds a signing key, so only it can call this usefully.
    /// </summary>
    public static string Mint(TenantContext context, ECDsaSecurityKey signingKey, DateTimeOffset now, TimeSpan? lifetime, IReadOnlyCollection<string> audiences)
    {
        if (audiences.Count == 0)
        {
            throw new ArgumentException("A tenant context is minted for at least one service.", nameof(audiences));
        }
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = context.Principal,
            [TenantClaim] = context.TenantId,
            [TierClaim] = context.Tier,
            [CapabilitiesClaim] = context.Capabilities.ToArray(),
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (context.RunId is not null)
        {
            claims[RunClaim] = context.RunId;
        }
        if (context.Via is not null)
        {
            claims[ViaClaim] = context.Via;
        }
        if (context.KeyTokensPerMinute > 0)
        {
            claims[KeyTokensPerMinuteClaim] = context.KeyTokensPerMinute;
        }
        if (context.ProjectId is not null)
        {
            claims[ProjectClaim] = context.ProjectId;
        }
        if (context.ProjectTokensPerMinute > 0)
        {
            claims[ProjectTokensPerMinuteClaim] = context.ProjectTokensPerMinute;
        }
        if (context.Budgets is { IsEmpty: false } budgets)
        {
            AddBudgetClaims(claims, budgets);
        }
        // One audience is a string; several an array (the JWT "aud" claim allows both).
        claims[JwtRegisteredClaimNames.Aud] = audiences.Count == 1 ? audiences.First() : audiences.ToArray();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TenantContextHeaders.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(lifetime ?? DefaultLifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>What a service accepts: the Gateway's signature and issuer, and its own name among the audiences.</summary>
    public static TokenValidationParameters ValidationParameters(IEnumerable<SecurityKey> keys, string audience) => new()
    {
        ValidIssuer = TenantContextHeaders.Issuer,
        ValidAudience = audience,
        IssuerSigningKeys = keys,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(5),
    };

    public static async Task<TokenValidationResult> ValidateAsync(string token, TokenValidationParameters parameters) =>
        await Handler.ValidateTokenAsync(token, parameters);

    /// <summary>Reads the context out of claims that were already validated.</summary>
    public static TenantContext? FromClaims(ClaimsIdentity identity)
    {
        var tenant = identity.FindFirst(TenantClaim)?.Value;
        var tier = identity.FindFirst(TierClaim)?.Value;
        var principal = identity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value
                        ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(tier) || string.IsNullOrEmpty(principal))
        {
            return null;
        }
        var caps = identity.FindAll(CapabilitiesClaim).Select(c => c.Value).ToArray();
        return new TenantContext(tenant, tier, principal, caps, identity.FindFirst(RunClaim)?.Value, identity.FindFirst(ViaClaim)?.Value,
            Count(identity, KeyTokensPerMinuteClaim), identity.FindFirst(ProjectClaim)?.Value, Count(identity, ProjectTokensPerMinuteClaim),
            BudgetsFromClaims(identity));
    }

    private static void AddBudgetClaims(Dictionary<string, object> claims, PeriodBudgets budgets)
    {
        if (budgets.ProjectTokens > 0 || budgets.ProjectMicrodollars > 0)
        {
            if (budgets.ProjectTokens > 0)
            {
                claims[ProjectPeriodTokensClaim] = budgets.ProjectTokens;
            }
            if (budgets.ProjectMicrodollars > 0)
            {
                claims[ProjectPeriodMicrodollarsClaim] = budgets.ProjectMicrodollars;
            }
            claims[ProjectPeriodClaim] = budgets.ProjectPeriod.Name()[..1];
            if (budgets.ProjectAlertThresholds is { } thresholds && !thresholds.SequenceEqual(PeriodBudgets.DefaultAlertThresholds))
            {
                // A dotted string, empty for none, so the reader tells "no alerts" (empty) from "the default" (absent).
                claims[ProjectAlertThresholdsClaim] = thresholds.Count == 0 ? "" : string.Join('.', thresholds);
            }
        }
        if (budgets.KeyMicrodollars > 0)
        {
            claims[KeyMicrodollarsClaim] = budgets.KeyMicrodollars;
            claims[KeyPeriodClaim] = budgets.KeyPeriod.Name()[..1];
            if (budgets.KeyBudgetOwner is not null)
            {
                claims[KeyBudgetOwnerClaim] = budgets.KeyBudgetOwner;
            }
        }
    }

    private static PeriodBudgets? BudgetsFromClaims(ClaimsIdentity identity)
    {
        var budgets = new PeriodBudgets(
            ProjectTokens: Count(identity, ProjectPeriodTokensClaim),
            ProjectMicrodollars: Count(identity, ProjectPeriodMicrodollarsClaim),
            ProjectPeriod: Period(identity, ProjectPeriodClaim),
            ProjectAlertThresholds: Thresholds(identity.FindFirst(ProjectAlertThresholdsClaim)?.Value),
            KeyMicrodollars: Count(identity, KeyMicrodollarsClaim),
            KeyPeriod: Period(identity, KeyPeriodClaim),
            KeyBudgetOwner: identity.FindFirst(KeyBudgetOwnerClaim)?.Value);
        return budgets.IsEmpty ? null : budgets;
    }

    private static BudgetPeriod Period(ClaimsIdentity identity, string claim) => identity.FindFirst(claim)?.Value switch
    {
        "d" => BudgetPeriod.Day,
        "w" => BudgetPeriod.Week,
        _ => BudgetPeriod.Month,
    };

    /// <summary>Thresholds as <c>50.90.100</c>; absent: the default; empty: none.</summary>
    private static IReadOnlyList<int>? Thresholds(string? value) => value switch
    {
        null => null,
        "" => [],
        _ => value.Split('.').Select(t => int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0)
            .Where(n => n > 0).ToArray(),
    };

    /// <summary>A non-negative number claim, or 0 when absent or malformed.</summary>
    private static long Count(ClaimsIdentity identity, string claim) =>
        long.TryParse(identity.FindFirst(claim)?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
