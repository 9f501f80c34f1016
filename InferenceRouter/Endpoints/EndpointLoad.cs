using System.Collections.Concurrent;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>Requests in flight per endpoint, as this router replica sees them; the shared pool sends new work to the least busy.</summary>
public sealed class EndpointLoad
{
    private readonly ConcurrentDictionary<string, StrongBox> _inFlight = new(StringComparer.Ordinal);

    public int InFlight(string endpoint) => _inFlight.TryGetValue(endpoint, out var box) ? Volatile.Read(ref box.Value) : 0;

    public IDisposable Enter(string endpoint)
    {
        var box = _inFlight.GetOrAdd(endpoint, _ => new StrongBox());
        Interlocked.Increment(ref box.Value);
        return new Lease(box);
    }

    private sealed class StrongBox
    {
        public int Value;
    }

    private sealed class Lease(StrongBox box) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                Interlocked.Decrement(ref box.Value);
            }
        }
    }
}
