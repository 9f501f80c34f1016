namespace AgentCloud.SandboxBroker.Exec;

public enum ExecOutputStream
{
    Stdout,
    Stderr,
}

/// <summary>Where a streamed exec's output goes as it arrives: told once the command is about to run, then fed its kept output.</summary>
public interface IExecOutput
{
    /// <summary>Everything that could refuse the exec has passed; from here on the answer is the stream.</summary>
    Task StartedAsync();

    /// <summary>A kept piece of output: the receiver's to keep (the caller never reuses its memory).</summary>
    ValueTask WriteAsync(ExecOutputStream stream, ReadOnlyMemory<byte> bytes);

    /// <summary>Whether this receiver keeps every piece itself, so the run need not keep a second copy for its result.</summary>
    bool KeepsOutput => false;

    /// <summary>The stream went past the output cap: what follows is dropped.</summary>
    void Cut(ExecOutputStream stream)
    {
    }

    /// <summary>The launch's host process (leader of its own process group) has started: for callers that signal it later.</summary>
    void Launched(int hostPid)
    {
    }

    /// <summary>The launch's host process has exited and been reaped: its pid may now be anyone's, so signal it no more.</summary>
    void Exited()
    {
    }
}
