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

    ValueTask WriteAsync(ExecOutputStream stream, ReadOnlyMemory<byte> bytes);

    /// <summary>The launch's host process (leader of its own process group) has started: for callers that signal it later.</summary>
    void Launched(int hostPid)
    {
    }

    /// <summary>The launch's host process has exited and been reaped: its pid may now be anyone's, so signal it no more.</summary>
    void Exited()
    {
    }
}
