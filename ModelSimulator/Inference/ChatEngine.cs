using System.Runtime.CompilerServices;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>A chat to run: the rendered prompt, its token ids, and the request's limits and cache salt.</summary>
public sealed record ChatJob(string Model, string Prompt, IReadOnlyList<int> PromptIds, int? MaxTokens, int MinTokens, string? CacheSalt);

/// <summary>
/// Runs chats as a model server would: wait for a slot, look the prompt up in the prefix cache, wait the modelled
/// time to first token, then produce one token per time-per-output-token. All waits use the injected clock.
/// </summary>
public sealed class ChatEngine(PrefixKvCache cache, InferenceSlots slots, LatencyModel latency, TimeProvider time)
{
    public async Task<ChatRun> StartAsync(ChatJob job, CancellationToken cancellationToken)
    {
        var queuedAt = time.GetTimestamp();
        var slot = await slots.AcquireAsync(cancellationToken);
        try
        {
            var queued = time.GetElapsedTime(queuedAt);
            var cached = cache.Admit(job.PromptIds, job.CacheSalt);
            var ttft = latency.TimeToFirstToken(job.PromptIds.Count, cached);
            await DelayAsync(ttft, cancellationToken);
            var plan = TextGenerator.PlanFor(job.Model, job.Prompt, job.MaxTokens, job.MinTokens);
            return new ChatRun(job.PromptIds.Count, cached, ttft, queued, plan, slot, latency.TimePerOutputToken, DelayAsync);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, time, cancellationToken) : Task.CompletedTask;
}

/// <summary>A started chat: its prompt accounting and its tokens; holds the slot until disposed or fully read.</summary>
public sealed class ChatRun(
    int promptTokens, int cachedTokens, TimeSpan ttft, TimeSpan queued, TextGenerator.Plan plan, IDisposable slot,
    TimeSpan tpot, Func<TimeSpan, CancellationToken, Task> delay) : IDisposable
{
    public int PromptTokens => promptTokens;
    public int CachedTokens => cachedTokens;
    public TimeSpan ModelledTtft => ttft;
    public TimeSpan Queued => queued;
    public int CompletionTokens => plan.Length;
    public string FinishReason => plan.Truncated ? "length" : "stop";

    /// <summary>The first token at once (its time is in the TTFT already), each next one after a time per output token.</summary>
    public async IAsyncEnumerable<string> TokensAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            var first = true;
            foreach (var token in TextGenerator.Tokens(plan))
            {
                if (!first)
                {
                    await delay(tpot, cancellationToken);
                }
                first = false;
                yield return token;
            }
        }
        finally
        {
            slot.Dispose();
        }
    }

    public void Dispose() => slot.Dispose();
}
