namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>A program and its arguments, plus files that must exist before it starts (e.g. an OCI bundle).</summary>
public sealed record ProcessLaunch(string FileName, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string> FilesToWrite { get; init; } = new Dictionary<string, string>();

    /// <summary>The cgroup v2 leaf group the launch enters before running anything; null where cgroups are unavailable.</summary>
    public string? Cgroup { get; init; }

    /// <summary>The environment for the sandboxed process, written to a private file its loader reads (never in the arguments).</summary>
    public EnvironmentHandoff? Handoff { get; init; }

    /// <summary>Called once the launch is over, with whether it was killed: for backends whose command outlives its launcher (gVisor).</summary>
    public Action<bool>? Completed { get; init; }

    /// <summary>
    /// Delivers a signal other than KILL to the command itself, for backends where signalling the launch's host process
    /// group would not reach it (gVisor); false when it has ended. Null: the launch's process group gets the signal.
    /// </summary>
    public Func<int, Task<bool>>? Signal { get; init; }

    /// <summary>Where a background process's output goes instead of the launch's pipes (gVisor: files that survive a checkpoint); null: the pipes.</summary>
    public ProcessOutputFiles? OutputFiles { get; init; }

    public string CommandLine => string.Join(' ', new[] { FileName }.Concat(Arguments));
}

/// <summary>What one exec asks for, already validated: the command, its full environment and whether egress is wired in.</summary>
public sealed record ExecSpec(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, string? EgressSocket)
{
    /// <summary>A background process: it must take signals itself, so gVisor puts a shell between its PID namespace and the command.</summary>
    public bool Background { get; init; }

    /// <summary>A tenant's background process, whose output nobody reads through the launch's pipes: gVisor keeps it in files inside the sandbox, so a checkpoint carries it.</summary>
    public bool OutputInSandbox { get; init; }
}

/// <summary>
/// Host paths of a background process's output files, its exit-status file and the file holding its first process's
/// pid inside the sandbox; <see cref="Name"/> names them inside (the same after a restore into another slot).
/// </summary>
public sealed record ProcessOutputFiles(string Name, string Stdout, string Stderr, string ExitStatus, string PidFile);

/// <summary>Whether a backend can run on this host, and why not.</summary>
public sealed record BackendAvailability(string Level, bool Available, string Reason);
