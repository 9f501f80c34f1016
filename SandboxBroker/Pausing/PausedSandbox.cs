namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>
/// A paused sandbox as journaled beside its saved workspace: who it belongs to, how it ran (level, template), how much
/// running time it has left, and until when it is kept. <see cref="Segment"/> is the number its next lease bills under.
/// </summary>
public sealed record PausedSandbox(
    string Id,
    string TenantId,
    string Principal,
    string? RunId,
    string? ProjectId,
    string Isolation,
    string Template,
    DateTimeOffset CreatedAt,
    DateTimeOffset PausedAt,
    DateTimeOffset PausedUntil,
    TimeSpan RemainingLifetime,
    long SavedBytes,
    int Segment,
    bool RunKeyIssued,
    ProcessCheckpoint? Checkpoint = null);

/// <summary>
/// A gVisor checkpoint kept with a paused sandbox: the uid its processes run as (held for the resume, across restarts
/// too), the slot id its sandbox ran under (runsc's container id, which the restored processes keep), the background processes the broker lists, and the image's size (counted in <see cref="PausedSandbox.SavedBytes"/>).
/// </summary>
public sealed record ProcessCheckpoint(int Uid, string SlotId, int LastPid, IReadOnlyList<CheckpointedProcess> Processes, long Bytes);

/// <summary>
/// A checkpointed background process: its number, command and start as listed, its output files' name, and inside the
/// sandbox the pid of its exec's first process (the parent of its PID namespace) and of its command.
/// </summary>
public sealed record CheckpointedProcess(int Pid, IReadOnlyList<string> Command, DateTimeOffset StartedAt, string OutputName, int ContainerPid, int CommandPid);
