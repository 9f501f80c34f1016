namespace AgentCloud.Tests.Shared;

/// <summary>
/// The simulator's models as the AppHost configures them by default, in the configuration keys each service reads,
/// for tests that host a service without the AppHost.
/// </summary>
public static class SimulatedModels
{
    public static readonly IReadOnlyList<(string Id, int MaxContextTokens)> Models = [("sim-small", 8_192), ("sim-large", 32_768)];

    /// <summary>The ControlPlane's model catalogue (<c>ControlPlane:Catalogue</c>).</summary>
    public static IReadOnlyDictionary<string, string> ControlPlaneSettings { get; } = Models
        .SelectMany((m, i) => new[]
        {
            KeyValuePair.Create($"ControlPlane:Catalogue:Models:{i}:Id", m.Id),
            KeyValuePair.Create($"ControlPlane:Catalogue:Models:{i}:MaxContextTokens", m.MaxContextTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        .ToDictionary();
}
