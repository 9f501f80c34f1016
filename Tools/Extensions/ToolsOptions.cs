using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Tools.Extensions;

/// <summary>How the tool gateway reaches the outside world and the vault.</summary>
public sealed class ToolsOptions
{
    public const string SectionName = "Tools";

    /// <summary>
    /// Lets tool servers and <c>http.fetch</c> reach loopback and private addresses. Off in production (SSRF);
    /// the AppHost turns it on for local runs, where the sample tool server listens on loopback.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>
    /// The secret the ControlPlane expects from the tool executor when it reveals a credential (AppHost secret
    /// parameter <c>tool-injection-key</c>); without it no tool can carry a credential.
    /// </summary>
    public string InjectionKey { get; set; } = "";

    /// <summary>How long one tool call may run before it is ended and reported as a timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most of a fetched body or tool answer handed back to the caller.</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxResultBytes { get; set; } = 64 * 1024;

    /// <summary>How many servers one tenant may register.</summary>
    [Range(1, 1000)]
    public int MaxServersPerTenant { get; set; } = 32;

    /// <summary>
    /// Integrations <c>http.fetch</c> injects a credential for, by name: the hosts they serve and the header the
    /// credential goes in. Defaults to GitHub (<c>api.github.com</c>, <c>Authorization: Bearer …</c>).
    /// </summary>
    public Dictionary<string, IntegrationOptions> Integrations { get; set; } = new(StringComparer.Ordinal)
    {
        ["github"] = new() { Hosts = ["api.github.com"], Header = "Authorization", Scheme = "Bearer" },
    };
}

/// <summary>Where one integration's credential is injected.</summary>
public sealed class IntegrationOptions
{
    public List<string> Hosts { get; set; } = [];

    public string Header { get; set; } = "Authorization";

    /// <summary>Written before the secret with a space (<c>Bearer</c>, <c>token</c>); empty for the bare secret.</summary>
    public string Scheme { get; set; } = "Bearer";
}
