namespace AgentCloud.SandboxBroker.Exec;

/// <summary>
/// Keeps the first <c>capacity</c> bytes of a stream and drains the rest, remembering that it did. A streamed exec
/// is handed each kept piece as it arrives (<c>onKept</c>), so it streams exactly what the buffered answer would hold.
/// </summary>
public sealed class CappedBuffer(int capacity, Func<ReadOnlyMemory<byte>, ValueTask>? onKept = null)
{
    private readonly MemoryStream _kept = new();

    public bool Truncated { get; private set; }

    public async Task DrainAsync(Stream source)
    {
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk)) > 0)
        {
            var room = capacity - (int)_kept.Length;
            if (read > room)
            {
                Truncated = true;
            }
            if (room > 0)
            {
                var kept = Math.Min(room, read);
                lock (_kept)
                {
                    _kept.Write(chunk, 0, kept);
                }
                if (onKept is not null)
                {
                    // A copy: the chunk buffer is reused by the next read while the piece may still be queued.
                    await onKept(chunk.AsMemory(0, kept).ToArray());
                }
            }
        }
    }

    public string Text()
    {
        lock (_kept)
        {
            return System.Text.Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
        }
    }
}
