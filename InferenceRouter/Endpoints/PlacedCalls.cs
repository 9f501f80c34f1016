namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// Calls placed on each shared endpoint and not yet settled, queued or running: the load cache-aware routing bounds.
/// Counted from placement, not from dispatch, so calls still in admission already weigh on the next choice.
/// </summary>
public sealed class PlacedCalls
{
    private readonly EndpointLoad _counts = new();

    public int Depth(string endpoint) => _counts.InFlight(endpoint);

    /// <summary>Counts a call on <paramref name="endpoint"/> until the returned handle is disposed (once; more are ignored).</summary>
    public IDisposable Place(string endpoint) => _counts.Enter(endpoint);
}
