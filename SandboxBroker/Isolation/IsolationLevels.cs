namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>The isolation ladder, strongest first.</summary>
public static class IsolationLevels
{
    public const string Firecracker = "firecracker";
    public const string Gvisor = "gvisor";
    public const string Bubblewrap = "bubblewrap";
    public const string Namespace = "namespace";
    public const string None = "none";

    public static readonly IReadOnlyList<string> Ladder = [Firecracker, Gvisor, Bubblewrap, Namespace, None];

    public static bool IsKnown(string level) => Ladder.Contains(level, StringComparer.Ordinal);

    /// <summary>Position on the ladder: 0 is the strongest; a larger number is weaker.</summary>
    public static int Strength(string level) => Ladder.ToList().IndexOf(level);
}
