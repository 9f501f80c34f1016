using System.ComponentModel.DataAnnotations;

namespace AgentCloud.UsageAggregator.Extensions;

/// <summary>
/// Model prices from configuration (the AppHost passes those of <c>AgentCloud:Models</c>), per million tokens. At start
/// each is written to the price table as a new row when it differs from the price in force, so a change takes effect
/// from then on and events already priced keep their price.
/// </summary>
public sealed class PriceListOptions : IValidatableObject
{
    public const string SectionName = "UsageAggregator:Prices";

    public List<ModelPrice> Models { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (p, i) in Models.Select((p, i) => (p, i)))
        {
            var where = $"{SectionName}:Models:{i}";
            if (string.IsNullOrWhiteSpace(p.Model) || !seen.Add(p.Model))
            {
                yield return new ValidationResult($"{where}:Model must be set and unique, not '{p.Model}'.");
            }
            if (p.InputPerMillion < 0 || p.CachedInputPerMillion < 0 || p.OutputPerMillion < 0)
            {
                yield return new ValidationResult($"{where}: the prices of '{p.Model}' must not be negative.");
            }
        }
    }
}

public sealed class ModelPrice
{
    public string Model { get; set; } = "";
    public decimal InputPerMillion { get; set; }
    public decimal CachedInputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }

    /// <summary>When the price took effect; unset: when a service first started with it.</summary>
    public DateTimeOffset? EffectiveFrom { get; set; }
}
