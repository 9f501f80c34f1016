using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Platform.Pricing;

/// <summary>A model's price in USD per million tokens (the AppHost passes the same list to the UsageAggregator and the router).</summary>
public sealed class ModelPrice
{
    public string Model { get; set; } = "";
    public decimal InputPerMillion { get; set; }
    public decimal CachedInputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }

    /// <summary>When the price took effect; unset: when a service first started with it.</summary>
    public DateTimeOffset? EffectiveFrom { get; set; }

    /// <summary>
    /// What the tokens cost in whole micro-dollars, rounded up (<see cref="TokenCost"/>, the ledger's formula).
    /// </summary>
    public long Microdollars(long input, long cachedInput, long output) =>
        (long)decimal.Ceiling(TokenCost.Microdollars(input, cachedInput, output, InputPerMillion, CachedInputPerMillion, OutputPerMillion));
}

/// <summary>Model prices from configuration, per million tokens; each service binds it under its own section.</summary>
public class ModelPriceList : IValidatableObject
{
    public List<ModelPrice> Models { get; set; } = [];

    /// <summary>The configured price of <paramref name="model"/>, or null when it has none (it costs nothing).</summary>
    public ModelPrice? For(string model) => Models.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.Ordinal));

    /// <summary>The section the list is bound from, for error messages.</summary>
    protected virtual string Section => "Prices";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (p, i) in Models.Select((p, i) => (p, i)))
        {
            var where = $"{Section}:Models:{i}";
            if (string.IsNullOrWhiteSpace(p.Model) || !seen.Add(p.Model))
            {
                yield return new ValidationResult($"{where}:Model must be set and unique, not '{p.Model}'.");
            }
            if (p.InputPerMillion < 0 || p.CachedInputPerMillion < 0 || p.OutputPerMillion < 0)
            {
                yield return new ValidationResult($"{where}: the prices of '{p.Model}' must not be negative.");
            }
            if (p.CachedInputPerMillion > p.InputPerMillion)
            {
                // A dollar budget holds every prompt token at the input price; a dearer cached token would cost more than the hold.
                yield return new ValidationResult($"{where}: the cached input price of '{p.Model}' must not be above its input price.");
            }
        }
    }
}
