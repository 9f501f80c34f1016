using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>The models the platform serves (the simulator's ids) and the longest context each takes.</summary>
public static class ModelCatalog
{
    private static readonly Dictionary<string, int> MaxContext = new(StringComparer.Ordinal)
    {
        ["sim-small"] = 8_192,
        ["sim-large"] = 32_768,
    };

    public static IReadOnlyCollection<string> Ids => MaxContext.Keys;

    public static bool IsKnown(string id) => MaxContext.ContainsKey(id);

    public static int MaxContextOf(string id) => MaxContext[id];

    public static ModelEntitlement Entitlement(string id) => new(id, MaxContext[id]);
}
