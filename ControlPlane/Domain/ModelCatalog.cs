using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>The models the platform serves (from configuration), the longest context each takes, and each tier's share of them.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, int> _maxContext;
    private readonly ModelCatalogueOptions _options;

    public ModelCatalog(IOptions<ModelCatalogueOptions> options)
    {
        _options = options.Value;
        _maxContext = _options.Models.ToDictionary(m => m.Id, m => m.MaxContextTokens, StringComparer.Ordinal);
        Ids = [.. _options.Models.Select(m => m.Id)];
    }

    /// <summary>In configuration order.</summary>
    public IReadOnlyList<string> Ids { get; }

    public bool IsKnown(string id) => _maxContext.ContainsKey(id);

    public int MaxContextOf(string id) => _maxContext[id];

    public ModelEntitlement Entitlement(string id) => new(id, _maxContext[id]);

    /// <summary>The tier's configured models, else: free the first model, the paid tiers all.</summary>
    public IReadOnlyList<ModelEntitlement> ForTier(string tier)
    {
        var ids = _options.Tiers.TryGetValue(tier, out var t) && t.Models.Count > 0 ? t.Models
            : tier == Tiers.Free ? Ids.Take(1)
            : Ids;
        return [.. ids.Select(Entitlement)];
    }

    public int DefaultMaxOutputTokens(string tier) =>
        _options.Tiers.TryGetValue(tier, out var t) && t.DefaultMaxOutputTokens is { } n ? n : tier == Tiers.Free ? 1_024 : 4_096;
}
