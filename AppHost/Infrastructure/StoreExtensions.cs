namespace AgentCloud.AppHost.Infrastructure;

public static class StoreExtensions
{
    /// <summary>References a store's connection string and waits until its server is healthy.</summary>
    public static IResourceBuilder<T> WithStore<T>(this IResourceBuilder<T> builder, Store store)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        builder.WithReference(store.Connection).WaitFor(store.Server);

    /// <summary>Wires Memory to its vector backend and tells it which one it got and why.</summary>
    public static IResourceBuilder<T> WithVectorStore<T>(this IResourceBuilder<T> builder, VectorStore vector)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        builder.WithStore(vector.Store).WithEnvironment("Memory__Backend", vector.Backend.ToString());
        if (vector.Reason is not null)
        {
            builder.WithEnvironment("Memory__Reason", vector.Reason);
        }
        return builder;
    }
}
