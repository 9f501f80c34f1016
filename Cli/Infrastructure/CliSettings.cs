using System.Text.Json;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>
/// Where the Gateway is and which key to use: a flag wins over the environment (<c>AGENTCLOUD_URL</c>,
/// <c>AGENTCLOUD_KEY</c>), which wins over the profile file (<c>~/.config/agentcloud/profiles.json</c>,
/// <c>{"default": {"url": "...", "key": "..."}}</c>; another profile with <c>--profile</c>).
/// </summary>
public sealed record CliSettings(Uri Url, string? Key)
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static string DefaultProfileFile =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "agentcloud", "profiles.json");

    public static string ProfileFile(Func<string, string?> env) => env("AGENTCLOUD_PROFILE_FILE") ?? DefaultProfileFile;

    public static string ProfileName(string? profileFlag, Func<string, string?> env) => profileFlag ?? env("AGENTCLOUD_PROFILE") ?? "default";

    public static CliSettings Resolve(string? urlFlag, string? keyFlag, string? profileName, Func<string, string?> env, string? profileFile = null)
    {
        var profile = ReadProfile(profileFile ?? ProfileFile(env), ProfileName(profileName, env), mustExist: profileName is not null);
        return new CliSettings(ParseUrl(urlFlag ?? env("AGENTCLOUD_URL") ?? profile?.Url ?? DefaultUrl), keyFlag ?? env("AGENTCLOUD_KEY") ?? profile?.Key);
    }

    /// <summary>
    /// The Gateway a <c>login</c> saves: the flag, else <c>AGENTCLOUD_URL</c>, else the URL the profile already has; no key
    /// yet. The profile need not exist: login makes it.
    /// </summary>
    public static CliSettings ForLogin(string? urlFlag, string? profileName, Func<string, string?> env)
    {
        var profile = ReadProfile(ProfileFile(env), ProfileName(profileName, env), mustExist: false);
        return new CliSettings(ParseUrl(urlFlag ?? env("AGENTCLOUD_URL") ?? profile?.Url ?? DefaultUrl), null);
    }

    private static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https")
            ? uri
            : throw new CliUsageException($"'{url}' is not an http(s) URL for the Gateway.");

    private static Profile? ReadProfile(string file, string name, bool mustExist)
    {
        if (!File.Exists(file))
        {
            return mustExist ? throw new CliUsageException($"Profile '{name}' asked for, but {file} does not exist.") : null;
        }
        try
        {
            var profiles = JsonSerializer.Deserialize<Dictionary<string, Profile>>(File.ReadAllText(file), JsonSerializerOptions.Web) ?? [];
            return profiles.TryGetValue(name, out var p) ? p : mustExist ? throw new CliUsageException($"No profile '{name}' in {file}.") : null;
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"{file} is not valid JSON: {e.Message}");
        }
    }

    private sealed record Profile(string? Url, string? Key);
}

/// <summary>A mistake on the command line, reported as one line with exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
