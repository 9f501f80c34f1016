using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Gateway.Extensions;

/// <summary>The Gateway's secrets (from AppHost secret parameters), key caching and rate-limit deadline.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The platform operator's key for <c>/admin/*</c>.</summary>
    [Required(AllowEmptyStrings = false), MinLength(16)]
    public string AdminKey { get; set; } = "";

    /// <summary>Seed of the current ES256 key that signs tenant contexts (every replica gets the same).</summary>
    [Required(AllowEmptyStrings = false), MinLength(16)]
    public string SigningKeySeed { get; set; } = "";

    /// <summary>Seeds of keys rotated out: still published in the JWKS so tokens in flight verify, never used to sign.</summary>
    public List<string> PreviousSigningKeySeeds { get; set; } = [];

    [Range(typeof(TimeSpan), "00:00:05", "00:05:00")]
    public TimeSpan ContextLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a context minted for a caller is handed out again before a new one is signed (zero: every call).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan ContextReuseWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a resolved key is trusted without asking the ControlPlane again (revocation clears it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key stays unknown without asking again (a new key may wait this long).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan UnknownKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan KeyResolutionTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a call with a key that was good here waits for its expired entry's refresh before it is served on that
    /// entry (the refresh goes on and its answer is kept), so a slow ControlPlane or Postgres does not slow known keys.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan KnownKeyRefreshWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long past its expiry a known key's entry may still be served while the ControlPlane cannot answer or is slow;
    /// zero turns this off. A revocation, suspension or policy change drops the entry at once, as always.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan KnownKeyStaleLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a rate-limit decision may take before the tier's fail mode applies.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:05")]
    public TimeSpan RateLimitDeadline { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Refused calls (no, malformed, unknown or revoked key) a client address may make per window before it gets 429.</summary>
    [Range(1, 1_000_000)]
    public int FailedCallLimit { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan FailedCallWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a 429 for an address over its failure limit is held before it is sent (zero: at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan FailedCallHold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many such answers are held at a time; beyond it they are sent at once.</summary>
    [Range(0, 1_000_000)]
    public int MaxHeldCalls { get; set; } = 10_000;

    /// <summary>How often refused calls are written to the platform's audit trail, as one counted entry per Gateway.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefusalAuditWindow { get; set; } = TimeSpan.FromSeconds(10);
}
