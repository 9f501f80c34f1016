using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>One piece of a background process's output, in the order it arrived.</summary>
public sealed record LogChunk(ExecOutputStream Stream, byte[] Bytes);

/// <summary>
/// A background process's output: every kept piece (the executor caps each stream at the exec output limit), in arrival
/// order, and the followers reading it live. A follower gets what came so far and then everything after it, with no
/// gap and no repeat (both under one lock); its reader completes when the process has ended.
/// </summary>
public sealed class ProcessLog : IExecOutput
{
    private readonly Lock _lock = new();
    private readonly List<LogChunk> _chunks = [];
    private readonly List<Channel<LogChunk>> _followers = [];
    private readonly TaskCompletionSource<int> _launched = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;

    /// <summary>The launch's host process (its process group's leader), once started.</summary>
    public Task<int> Launched => _launched.Task;

    public Task StartedAsync() => Task.CompletedTask;

    // The host pid while its process lives; 0 once reaped, since a pid is reused and the broker signals as root.
    private int _hostPid;

    void IExecOutput.Launched(int hostPid)
    {
        lock (_lock)
        {
            _hostPid = hostPid;
        }
        _launched.TrySetResult(hostPid);
    }

    void IExecOutput.Exited()
    {
        lock (_lock)
        {
            _hostPid = 0;
        }
    }

    /// <summary>Signals the launch's process group and its leader while they live; false once the process was reaped.</summary>
    public bool TrySignal(int signal)
    {
        lock (_lock)
        {
            if (_hostPid <= 0)
            {
                return false;
            }
            Libc.Kill(-_hostPid, signal);
            Libc.Kill(_hostPid, signal);
            return true;
        }
    }

    /// <summary>The log is the one copy of the output (the run keeps none besides).</summary>
    public bool KeepsOutput => true;

    /// <summary>Whether either stream went past the output cap, counted in bytes as they came (not as decoded text).</summary>
    public bool Truncated { get; private set; }

    public void Cut(ExecOutputStream stream) => Truncated = true;

    public ValueTask WriteAsync(ExecOutputStream stream, ReadOnlyMemory<byte> bytes)
    {
        // The piece is handed over whole (see IExecOutput.WriteAsync): kept as it is, copied only when it is part of a larger array.
        var piece = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array : bytes.ToArray();
        var chunk = new LogChunk(stream, piece);
        lock (_lock)
        {
            _chunks.Add(chunk);
            foreach (var follower in _followers)
            {
                follower.Writer.TryWrite(chunk);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>What came so far, and a reader of what comes next (already complete when the process has ended).</summary>
    public (IReadOnlyList<LogChunk> SoFar, ChannelReader<LogChunk> Next) Follow()
    {
        var channel = Channel.CreateUnbounded<LogChunk>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            if (_ended)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _followers.Add(channel);
            }
            return (_chunks.ToList(), channel.Reader);
        }
    }

    public void Unfollow(ChannelReader<LogChunk> reader)
    {
        lock (_lock)
        {
            _followers.RemoveAll(c => c.Reader == reader);
        }
    }

    /// <summary>The process ended (or never started): followers finish after what they were given.</summary>
    public void End()
    {
        lock (_lock)
        {
            _ended = true;
            _launched.TrySetResult(0);
            foreach (var follower in _followers)
            {
                follower.Writer.TryComplete();
            }
            _followers.Clear();
        }
    }

    /// <summary>The log so far as text, one string a stream, decoded as the buffered exec answer decodes it.</summary>
    public (string Stdout, string Stderr) Text()
    {
        List<LogChunk> chunks;
        lock (_lock)
        {
            chunks = _chunks.ToList();
        }
        string Of(ExecOutputStream stream) => Encoding.UTF8.GetString(chunks.Where(c => c.Stream == stream).SelectMany(c => c.Bytes).ToArray());
        return (Of(ExecOutputStream.Stdout), Of(ExecOutputStream.Stderr));
    }
}
