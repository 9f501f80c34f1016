using AgentCloud.ModelSimulator.Inference;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.ModelSimulator.Tests;

/// <summary>The latency model and the engine on a fake clock: nothing here measures wall-clock time.</summary>
public sealed class LatencyModelTests
{
    private static readonly LatencyModel Model = new(BaseTtftMs: 10, PrefillMsPerToken: 1, CachedPrefillMsPerToken: 0.01, TpotMs: 20);

    [Fact]
    public void Time_to_first_token_grows_with_uncached_prompt_tokens_and_cached_ones_are_nearly_free()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(110), Model.TimeToFirstToken(100, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(210), Model.TimeToFirstToken(200, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(10 + 4 + 0.96), Model.TimeToFirstToken(100, 96));
    }

    private static (ChatEngine Engine, FakeTimeProvider Time, PrefixKvCache Cache) Engine(int slots = 4, LatencyModel? model = null)
    {
        var time = new FakeTimeProvider();
        var cache = new PrefixKvCache(16, 1000);
        return (new ChatEngine(cache, new InferenceSlots(slots), model ?? Model, time), time, cache);
    }

    private static ChatJob Job(int promptTokens, int? maxTokens = null, string salt = "s") =>
        new("sim-small", "prompt", Enumerable.Range(0, promptTokens).ToArray(), maxTokens, 0, salt);

    [Fact]
    public async Task The_first_token_comes_only_after_the_modelled_time_to_first_token()
    {
        var (engine, time, _) = Engine();

        var start = engine.StartAsync(Job(100), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(109));
        var earlyDone = start.IsCompleted;
        time.Advance(TimeSpan.FromMilliseconds(1));
        using var run = await start.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(earlyDone);
        Assert.Equal(TimeSpan.FromMilliseconds(110), run.ModelledTtft);
        Assert.Equal(0, run.CachedTokens);
    }

    [Fact]
    public async Task A_cached_prompt_reaches_its_first_token_sooner()
    {
        var (engine, time, _) = Engine();

        var coldStart = engine.StartAsync(Job(97), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        using var cold = await coldStart.WaitAsync(TimeSpan.FromSeconds(10));
        cold.Dispose();
        var warmStart = engine.StartAsync(Job(97), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        using var warm = await warmStart.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(96, warm.CachedTokens);
        Assert.True(warm.ModelledTtft < cold.ModelledTtft);
    }

    [Fact]
    public async Task Each_further_output_token_waits_one_time_per_output_token()
    {
        var (engine, time, _) = Engine();
        var start = engine.StartAsync(Job(0, maxTokens: 3), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(10));
        using var run = await start.WaitAsync(TimeSpan.FromSeconds(10));
        await using var tokens = run.TokensAsync(CancellationToken.None).GetAsyncEnumerator();

        Assert.True(await tokens.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        var second = tokens.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(19));
        var earlyDone = second.IsCompleted;
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(earlyDone);
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_full_instance_queues_the_next_request_until_a_slot_frees()
    {
        // Zero latency: only the slot can hold the second request back.
        var (engine, time, _) = Engine(slots: 1, new LatencyModel(0, 0, 0, 0));
        var first = await engine.StartAsync(Job(10), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var second = engine.StartAsync(Job(10, salt: "other"), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(5));
        var ranWhileFull = second.IsCompleted;
        first.Dispose();
        using var run = await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(ranWhileFull);
        Assert.Equal(10, run.PromptTokens);
    }
}
