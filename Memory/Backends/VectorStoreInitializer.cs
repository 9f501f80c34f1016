namespace AgentCloud.Memory.Backends;

/// <summary>Creates the store's schema at start; a store that is down then is retried on first use, not fatal.</summary>
internal sealed class VectorStoreInitializer(IVectorStore store, ILogger<VectorStoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            await store.EnsureSchemaAsync(cts.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "The vector store's schema could not be created at start; it is retried on first use");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
