namespace AgentCloud.ModelSimulator.Inference;

/// <summary>A fixed number of requests in flight per instance, as a GPU's batch slots; the rest wait in arrival order.</summary>
public sealed class InferenceSlots(int slots)
{
    private readonly SemaphoreSlim _free = new(slots, slots);

    public int Available => _free.CurrentCount;

    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken);
        return new Lease(_free);
    }

    private sealed class Lease(SemaphoreSlim free) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                free.Release();
            }
        }
    }
}
