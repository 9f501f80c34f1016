using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Gateway.Extensions;

/// <summary>The Gateway's secrets, all from AppHost secret parameters.</summary>
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
}
