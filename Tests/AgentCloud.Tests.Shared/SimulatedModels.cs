namespace AgentCloud.Tests.Shared;

/// <summary>
/// The simulator's models as the AppHost configures them by default, in the configuration keys each service reads,
/// for tests that host a service without the AppHost.
/// </summary>
public static class SimulatedModels
{
    public static readonly IReadOnlyList<(string Id, int MaxContextTokens)> Models = [("sim-small", 8_192), ("sim-large", 32_768)];

    /// <summary>Per million tokens: input, cached input, output; in force since the start of 2026.</summary>
    public static readonly IReadOnlyList<(string Id, string Input, string CachedInput, string Output)> Prices =
        [("sim-small", "0.15", "0.075", "0.60"), ("sim-large", "2.50", "1.25", "10.00")];

    /// <summary>The UsageAggregator's price list (<c>UsageAggregator:Prices</c>).</summary>
    public static IReadOnlyDictionary<string, string> UsagePriceSettings { get; } = Prices
        .SelectMany((p, i) => new[]
        {
            KeyValuePair.Create($"UsageAggregator:Prices:Models:{i}:Model", p.Id),
            KeyValuePair.Create($"UsageAggregator:Prices:Models:{i}:InputPerMillion", p.Input),
            KeyValuePair.Create($"UsageAggregator:Prices:Models:{i}:CachedInputPerMillion", p.CachedInput),
            KeyValuePair.Create($"UsageAggregator:Prices:Models:{i}:OutputPerMillion", p.Output),
            KeyValuePair.Create($"UsageAggregator:Prices:Models:{i}:EffectiveFrom", "2026-01-01T00:00:00Z"),
        })
        .ToDictionary();

    /// <summary>The ControlPlane's model catalogue (<c>ControlPlane:Catalogue</c>).</summary>
    public static IReadOnlyDictionary<string, string> ControlPlaneSettings { get; } = Models
        .SelectMany((m, i) => new[]
        {
            KeyValuePair.Create($"ControlPlane:Catalogue:Models:{i}:Id", m.Id),
            KeyValuePair.Create($"ControlPlane:Catalogue:Models:{i}:MaxContextTokens", m.MaxContextTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        .ToDictionary();
}
