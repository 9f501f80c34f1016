namespace AgentCloud.SandboxBroker.Exec;

/// <summary>Keeps the first <c>capacity</c> bytes of a stream and drains the rest, remembering that it did.</summary>
public sealed class CappedBuffer(int capacity)
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
                lock (_kept)
                {
                    _kept.Write(chunk, 0, Math.Min(room, read));
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
