namespace AgentCloud.InferenceRouter.Quota;

/// <summary>
/// How a model's tokens burn a quota: e.g. output 5x, cached input 0.1x (AWS Bedrock counts output 5x for
/// Claude 3.7+). Quotas and usage events carry the weighted total.
/// </summary>
public sealed record BurndownMultipliers(double Input = 1, double CachedInput = 1, double Output = 1)
{
    public static BurndownMultipliers Unit { get; } = new();

    /// <summary>Weighted tokens, rounded up so a fraction of a token is never free.</summary>
    public long Weigh(long uncachedInput, long cachedInput, long output) =>
        (long)Math.Ceiling(uncachedInput * Input + cachedInput * CachedInput + output * Output - 1e-9);
}

/// <summary>Multipliers per model id, from configuration (<c>InferenceRouter:Burndown:{model}</c>).</summary>
public sealed class BurndownOptions
{
    public const string SectionName = "InferenceRouter:Burndown";

    public Dictionary<string, BurndownMultipliers> Models { get; set; } = new(StringComparer.Ordinal);

    public BurndownMultipliers For(string model) => Models.GetValueOrDefault(model) ?? BurndownMultipliers.Unit;
}
