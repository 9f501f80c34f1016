namespace AgentCloud.Platform.Faults;

/// <summary>
/// A store (Redis, Postgres, a vector backend) did not answer within its deadline or refused the connection: a
/// <see cref="Refusal"/> answered 503 with <c>Retry-After</c>, never 500.
/// </summary>
public sealed class StoreUnavailableException(string store, TimeSpan retryAfter, Exception? inner = null)
    : Refusal(503, "store-unavailable", "Service unavailable",
        $"The {store} store is not answering; try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.", retryAfter, inner)
{
    public string Store { get; } = store;
}
