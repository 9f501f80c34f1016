using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ControlPlane.Extensions;

/// <summary>
/// The models the platform serves and what each tier gets of them, from configuration (the AppHost passes its
/// <c>AgentCloud:Models</c> here): no model id is known to the ControlPlane otherwise.
/// </summary>
public sealed class ModelCatalogueOptions : IValidatableObject
{
    public const string SectionName = "ControlPlane:Catalogue";

    /// <summary>In the order given; the first is the free tier's model unless the tier names its own.</summary>
    public List<CatalogueModel> Models { get; set; } = [];

    /// <summary>Per tier (<c>free</c>, <c>pro</c>, <c>enterprise</c>): its models and its default output budget.</summary>
    public Dictionary<string, TierModelOptions> Tiers { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Models.Count == 0)
        {
            yield return new ValidationResult($"{SectionName}:Models lists no model; the AppHost passes the models of AgentCloud:Models here.");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (m, i) in Models.Select((m, i) => (m, i)))
        {
            if (string.IsNullOrWhiteSpace(m.Id) || !ids.Add(m.Id))
            {
                yield return new ValidationResult($"{SectionName}:Models:{i}:Id must be set and unique, not '{m.Id}'.");
            }
            if (m.MaxContextTokens < 1)
            {
                yield return new ValidationResult($"{SectionName}:Models:{i}:MaxContextTokens of '{m.Id}' must be at least 1.");
            }
        }
        foreach (var (tier, options) in Tiers)
        {
            foreach (var id in options.Models.Where(id => !ids.Contains(id)))
            {
                yield return new ValidationResult($"{SectionName}:Tiers:{tier}:Models names '{id}', which is not among {SectionName}:Models ({string.Join(", ", ids)}).");
            }
            if (options.DefaultMaxOutputTokens is < 1)
            {
                yield return new ValidationResult($"{SectionName}:Tiers:{tier}:DefaultMaxOutputTokens must be at least 1.");
            }
        }
    }
}

public sealed class CatalogueModel
{
    public string Id { get; set; } = "";

    /// <summary>The longest context the model takes; a tenant's own limit may only be lower.</summary>
    public int MaxContextTokens { get; set; }
}

public sealed class TierModelOptions
{
    /// <summary>Model ids the tier is entitled to; empty: free gets the first model, pro and enterprise all of them.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>What a chat without <c>max_tokens</c> may generate; unset: 1024 for free, 4096 otherwise.</summary>
    public int? DefaultMaxOutputTokens { get; set; }
}
