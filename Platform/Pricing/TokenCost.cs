namespace AgentCloud.Platform.Pricing;

/// <summary>
/// The one formula for what tokens cost, shared by the router's dollar budgets and the UsageAggregator's ledger so the
/// two never disagree. Prices are USD per million tokens, which is exactly micro-dollars per token.
/// </summary>
public static class TokenCost
{
    /// <summary>
    /// The exact cost in micro-dollars, unrounded. Cached input is a part of input (as in OpenAI's usage), billed at the
    /// cached price; a cached count above the input count is held to it, and negative counts cost nothing.
    /// </summary>
    public static decimal Microdollars(long input, long cachedInput, long output,
        decimal inputPerMillion, decimal cachedInputPerMillion, decimal outputPerMillion)
    {
        var allInput = Math.Max(0, input);
        var cached = Math.Clamp(cachedInput, 0, allInput);
        return (allInput - cached) * inputPerMillion + cached * cachedInputPerMillion + Math.Max(0, output) * outputPerMillion;
    }
}
