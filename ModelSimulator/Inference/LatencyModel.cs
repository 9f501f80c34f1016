namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// How long a request takes: the first token waits for the prefill of the uncached prompt tokens (cached ones are
/// nearly free), every further token costs one time-per-output-token.
/// </summary>
public sealed record LatencyModel(double BaseTtftMs, double PrefillMsPerToken, double CachedPrefillMsPerToken, double TpotMs)
{
    public TimeSpan TimeToFirstToken(int promptTokens, int cachedTokens) =>
        TimeSpan.FromMilliseconds(BaseTtftMs + (promptTokens - cachedTokens) * PrefillMsPerToken + cachedTokens * CachedPrefillMsPerToken);

    public TimeSpan TimePerOutputToken => TimeSpan.FromMilliseconds(TpotMs);
}
