namespace AgentCloud.Platform.Faults;

/// <summary>
/// A store (Redis, Postgres, a vector backend) did not answer within its deadline or refused the connection; the
/// request is answered 503 with <c>Retry-After</c> by <see cref="StoreUnavailableExceptionHandler"/>, never 500.
/// </summary>
public sealed class StoreUnavailableException(string store, TimeSpan retryAfter, Exception? inner = null)
    : Exception($"The {store} store is not answering; try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.", inner)
{
    public string Store { get; } = store;
    public TimeSpan RetryAfter { get; } = retryAfter;
}
