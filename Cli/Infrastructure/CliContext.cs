using System.CommandLine;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>Options every command accepts, and what a command's action gets from them.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url") { Description = "Gateway URL (else AGENTCLOUD_URL, the profile, or http://127.0.0.1:8080)", Recursive = true };
    public Option<string?> Key { get; } = new("--key") { Description = "API key: a tenant key, or the operator key for admin commands (else AGENTCLOUD_KEY or the profile)", Recursive = true };
    public Option<string?> Profile { get; } = new("--profile") { Description = "Profile name in ~/.config/agentcloud/profiles.json", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON instead of tables", Recursive = true };

    public IEnumerable<Option> All => [Url, Key, Profile, Json];
}

/// <summary>Everything a command's action needs: the Gateway client and the output.</summary>
public sealed record CliContext(GatewayClient Gateway, CliOutput Output, ParseResult Parse)
{
    /// <summary>The environment the CLI runs in (tests give their own).</summary>
    public Func<string, string?> Env { get; init; } = _ => null;

    /// <summary>Where a command's own diagnostics go (a sandboxed command's stderr among them).</summary>
    public TextWriter Error { get; init; } = TextWriter.Null;

    /// <summary>Standard input when it is redirected, else null.</summary>
    public TextReader? Stdin { get; init; }

    /// <summary>A Gateway client with other settings (login checks a key before saving it).</summary>
    public Func<CliSettings, GatewayClient> Connect { get; init; } = _ => throw new InvalidOperationException("No HTTP client.");

    /// <summary>Whether a person is at a terminal (then a secret can be asked for without echo).</summary>
    public bool Interactive { get; init; }
}
