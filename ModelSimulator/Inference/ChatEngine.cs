using System.Runtime.CompilerServices;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// A chat to run: the rendered prompt, its token ids, and the request's limits and cache salt; <see cref="Answer"/>
/// when the answer is already planned (tool calls, JSON), else prose is generated from the prompt.
/// </summary>
public sealed record ChatJob(string Model, string Prompt, IReadOnlyList<int> PromptIds, int? MaxTokens, int MinTokens, string? CacheSalt, Answer? Answer = null);

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
            var answer = job.Answer ?? Answer.FromProse(TextGenerator.PlanFor(job.Model, job.Prompt, job.MaxTokens, job.MinTokens));
            return new ChatRun(job.PromptIds.Count, cached, ttft, queued, answer, slot, latency.TimePerOutputToken, DelayAsync);
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

/// <summary>A started chat: its prompt accounting and its answer's pieces; holds the slot until disposed or fully read.</summary>
public sealed class ChatRun(
    int promptTokens, int cachedTokens, TimeSpan ttft, TimeSpan queued, Answer answer, IDisposable slot,
    TimeSpan tpot, Func<TimeSpan, CancellationToken, Task> delay) : IDisposable
{
    public int PromptTokens => promptTokens;
    public int CachedTokens => cachedTokens;
    public TimeSpan ModelledTtft => ttft;
    public TimeSpan Queued => queued;
    public Answer Answer => answer;
    public int CompletionTokens => answer.CompletionTokens;
    public string FinishReason => answer.FinishReason;

    /// <summary>The first piece at once (its time is in the TTFT already), each next one after a time per output token it costs.</summary>
    public async IAsyncEnumerable<AnswerPiece> TokensAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            var first = true;
            foreach (var piece in answer.Pieces)
            {
                if (!first)
                {
                    await delay(tpot * Math.Max(1, piece.Tokens), cancellationToken);
                }
                first = false;
                yield return piece;
            }
        }
        finally
        {
            slot.Dispose();
        }
    }

    public void Dispose() => slot.Dispose();
}
