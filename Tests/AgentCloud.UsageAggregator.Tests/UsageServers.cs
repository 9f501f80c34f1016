using AgentCloud.Tests.Shared;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>One real Redis and one real Postgres for the whole project; each test takes its own database and streams.</summary>
public sealed class UsageServers : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();
    public PostgresServerFixture Postgres { get; } = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Redis.InitializeAsync(), Postgres.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class UsageCollection : ICollectionFixture<UsageServers>
{
    public const string Name = "usage servers";
}
