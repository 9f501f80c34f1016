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

    /// <summary>
    /// Refused sign-ins one client address may make per <see cref="SignInFailureWindow"/> before the console refuses it
    /// (429) without asking the API; below the Gateway's failure limit for the console's own address.
    /// </summary>
    [Range(1, 1_000)]
    public int SignInFailureLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SignInFailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The Gateway's addresses when it is not on this host: only a request from one of these (or loopback) may name the
    /// client in <c>X-Forwarded-For</c>; anyone else is counted by its own address.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Where the Data Protection keys that encrypt session cookies are kept (empty: the default per-user folder).</summary>
    public string? KeysDirectory { get; set; }
}
