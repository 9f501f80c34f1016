using AgentCloud.Faults.Harness;

namespace AgentCloud.Faults.Tests;

/// <summary>One platform for the whole suite: each fault is undone and recovered from before the next begins.</summary>
public sealed class FaultPlatformFixture : IAsyncLifetime
{
    public FaultPlatform Platform { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        Platform = await FaultPlatform.StartAsync(startup.Token);
        await new FaultRunner(Platform).WarmUpAsync(startup.Token);
    }

    public async Task DisposeAsync()
    {
        if (Platform is not null)
        {
            await Platform.DisposeAsync();
        }
    }
}
