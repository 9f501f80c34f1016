using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Console.Extensions;

/// <summary>Where the console finds the public API, and how long a session lasts.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>The Gateway, by its service-discovery name: the console calls the API as any client does.</summary>
    [Required]
    public Uri GatewayUrl { get; set; } = new("http://gateway");

    /// <summary>The path the Gateway serves the console under; links, assets and cookies live beneath it.</summary>
    [Required, RegularExpression("^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$")]
    public string PathBase { get; set; } = "/console";

    /// <summary>A session idle this long ends (sliding: each request renews it).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Where the Data Protection keys that encrypt session cookies are kept (empty: the default per-user folder).</summary>
    public string? KeysDirectory { get; set; }
}
