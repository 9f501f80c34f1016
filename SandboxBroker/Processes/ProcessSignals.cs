namespace AgentCloud.SandboxBroker.Processes;

/// <summary>The signals a tenant may send a background process, by the names the API takes.</summary>
public static class ProcessSignals
{
    public static readonly IReadOnlyDictionary<string, int> ByName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["TERM"] = 15, ["KILL"] = 9, ["INT"] = 2, ["HUP"] = 1,
    };

    /// <summary>The signal's number; accepts "TERM" and "SIGTERM" alike. Null for anything else.</summary>
    public static int? Parse(string? name) =>
        name is null ? null
        : ByName.TryGetValue(name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? name[3..] : name, out var number) ? number : null;
}
