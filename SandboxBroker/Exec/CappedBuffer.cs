namespace AgentCloud.SandboxBroker.Exec;

/// <summary>
/// Keeps the first <c>capacity</c> bytes of a stream and drains the rest, remembering that it did. A streamed exec
/// is handed each kept piece as it arrives (<c>onKept</c>), so it streams exactly what the buffered answer would hold;
/// with <c>keep</c> false the pieces go only there (a background process's log keeps them, one copy is enough), and
/// <c>onCut</c> is told once when the stream goes past the cap.
/// </summary>
public sealed class CappedBuffer(int capacity, Func<ReadOnlyMemory<byte>, ValueTask>? onKept = null, bool keep = true, Action? onCut = null)
{
    private readonly MemoryStream _kept = new();
    private int _keptLength;

    public bool Truncated { get; private set; }

    public async Task DrainAsync(Stream source)
    {
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk)) > 0)
        {
            var room = capacity - _keptLength;
            if (read > room && !Truncated)
            {
                Truncated = true;
                onCut?.Invoke();
            }
            if (room > 0)
            {
                var kept = Math.Min(room, read);
                _keptLength += kept;
                if (keep)
                {
                    lock (_kept)
                    {
                        _kept.Write(chunk, 0, kept);
                    }
                }
                if (onKept is not null)
                {
                    // A piece of its own: the chunk buffer is reused by the next read while the piece may still be queued or kept.
                    await onKept(chunk.AsMemory(0, kept).ToArray());
                }
            }
        }
    }

    /// <summary>What was kept, as text (empty when the pieces were only handed on).</summary>
    public string Text()
    {
        lock (_kept)
        {
            return System.Text.Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
        }
    }
}
