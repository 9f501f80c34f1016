using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Usage;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.ServiceDefaults.Tenancy;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Leases sandboxes to tenants: picks the isolation level, takes a warm slot (or makes one), enforces the
/// per-tenant limit, runs execs, and ends leases (delete, idle, lifetime) by recycling or destroying the slot.
/// Every lookup is by (tenant, id): another tenant's id is simply not found.
/// </summary>
public sealed partial class SandboxManager(
    IsolationCatalog catalog,
    WarmPools pools,
    SlotLayout layout,
    Recycler recycler,
    SandboxExecutor executor,
    EgressProxy egress,
    SandboxUsage usage,
    CgroupLimiter cgroups,
    SlotSandboxes slotSandboxes,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<SandboxManager> logger,
    IRunCredentials? runCredentials = null)
{
    private readonly ConcurrentDictionary<string, Sandbox> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _tenantLocks = new(StringComparer.Ordinal);
    private SandboxBrokerOptions Options => options.Value;

    /// <summary>Creates the sandbox and, where run keys are issued, its run key; without a key the sandbox is not handed out.</summary>
    public async Task<Sandbox> CreateAsync(TenantContext caller, TenantPolicy policy, CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        if (request.Capabilities is { } asked && (asked.Count > 32 || asked.Any(string.IsNullOrEmpty)))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, "capabilities must be a list of at most 32 capability names, e.g. [\"inference\", \"memory:read\"].");
        }
        var sandbox = Create(caller, policy, request);
        if (!Options.IssueRunKeys || runCredentials is null)
        {
            return sandbox;
        }
        try
        {
            var lifetime = sandbox.ExpiresAt - time.GetUtcNow() + TimeSpan.FromSeconds(30);
            sandbox.RunKey = await runCredentials.MintAsync(caller, sandbox.RunId!, request.Capabilities?.Select(c => c!).ToList(), lifetime, cancellationToken);
            return sandbox;
        }
        catch
        {
            await ReleaseAsync(sandbox, "aborted");
            throw;
        }
    }

    public Sandbox Create(TenantContext caller, TenantPolicy policy, CreateSandboxRequest request)
    {
        var template = request.Template ?? SandboxTemplate.DefaultName;
        if (!Options.EffectiveTemplates().ContainsKey(template))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"Unknown template '{template}'. Known templates: {string.Join(", ", Options.EffectiveTemplates().Keys)}.");
        }
        var maxLifetime = (int)Options.MaxLifetime.TotalSeconds;
        if (request.TimeoutSeconds is { } t && (t < 1 || t > maxLifetime))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"timeoutSeconds must be between 1 and {maxLifetime}, not {t}.");
        }
        if (request.Isolation is { } wanted && !IsolationLevels.IsKnown(wanted))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"Unknown isolation '{wanted}'; levels are {string.Join(", ", IsolationLevels.Ladder)}.");
        }
        if (catalog.HostRefusal is { } refusal)
        {
            throw new SandboxRefusal(RefusalKind.Unavailable, $"This broker hands out no sandboxes: {refusal}.");
        }
        var allowed = IsolationCatalog.Allowed(policy.SandboxIsolationLevels);
        if (request.Isolation is { } asked && !allowed.Contains(asked))
        {
            throw new SandboxRefusal(RefusalKind.Invalid,
                $"Isolation '{asked}' is weaker than tier '{policy.Tier}' allows; ask for one of [{string.Join(", ", allowed)}] or leave isolation out.");
        }
        var level = catalog.Choose(policy.SandboxIsolationLevels, request.Isolation) ?? throw new SandboxRefusal(RefusalKind.NoAcceptableIsolation,
            $"No acceptable isolation level{(request.Isolation is null ? "" : $" for '{request.Isolation}'")}: tier '{policy.Tier}' accepts " +
            $"[{string.Join(", ", policy.SandboxIsolationLevels)}]; this host offers [{string.Join(", ", catalog.Available)}].");
        if (policy.MaxConcurrentSandboxes <= 0)
        {
            throw new SandboxRefusal(RefusalKind.NotAllowed, $"Tier '{policy.Tier}' includes no sandboxes.");
        }

        var key = new PoolKey(level, template, policy.DedicatedSandboxPool ? caller.TenantId : null);
        var now = time.GetUtcNow();
        var lifetime = request.TimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : Options.MaxLifetime;
        Sandbox sandbox;
        lock (_tenantLocks.GetOrAdd(caller.TenantId, _ => new object()))
        {
            var live = _leases.Values.Count(l => l.TenantId == caller.TenantId);
            if (live >= policy.MaxConcurrentSandboxes)
            {
                throw new SandboxRefusal(RefusalKind.TooManySandboxes,
                    $"Tenant already holds {live} sandboxes, the most tier '{policy.Tier}' allows at once; delete one or wait for one to expire.");
            }
            var warm = pools.TryTake(key, out var slot);
            if (!warm)
            {
                slot = layout.CreateSlot(key);
                recycler.Prepare(slot);
            }
            string? group = null;
            try
            {
                layout.MoveTo(slot, caller.TenantId);
                var id = "sbx_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
                sandbox = new Sandbox
                {
                    // A sandbox is one run unless the caller is already part of one.
                    Id = id, TenantId = caller.TenantId, Principal = caller.Principal, RunId = caller.RunId ?? id, Slot = slot,
                    CreatedAt = now, ExpiresAt = now + lifetime, LastUsedAt = now, Warm = warm, Egress = policy.Egress.ToList(),
                };
                sandbox.Cgroup = group = slotSandboxes.CreateGroup(sandbox);
                var reachable = Options.PlatformGatewayUrl is null ? policy.Egress : [.. policy.Egress, SandboxBrokerOptions.PlatformGatewayHost];
                var slotSandbox = catalog.Backend(level) as ISlotSandboxBackend;
                if (reachable.Count > 0 && (level == IsolationLevels.Bubblewrap || slotSandbox is not null))
                {
                    sandbox.EgressSocket = slotSandbox?.EgressSocketPath(slot) ?? layout.EgressSocketPath(sandbox.Id);
                    sandbox.EgressListener = egress.Listen(sandbox.EgressSocket, slot.Uid, new DomainAllowlist(reachable), caller.TenantId, sandbox.Id, sandbox.RunId);
                }
                _leases[sandbox.Id] = sandbox;
            }
            catch
            {
                cgroups.RemoveSandboxGroup(group);
                recycler.Destroy(slot);
                throw;
            }
        }
        if (key.DedicatedTenant is not null)
        {
            pools.Wake();
        }
        logger.LogInformation("Sandbox {SandboxId} for tenant {TenantId}: {Level}, template {Template}, {Pool} pool, {Warmth}",
            sandbox.Id, sandbox.TenantId, level, template, key.Kind, sandbox.Warm ? "warm" : "cold");
        return sandbox;
    }

    /// <summary>The tenant's own sandbox with that id, or null (also when it belongs to another tenant).</summary>
    public Sandbox? Find(string tenantId, string id) =>
        _leases.TryGetValue(id, out var s) && s.TenantId == tenantId && !s.Released ? s : null;

    public IReadOnlyList<Sandbox> List(string tenantId) =>
        _leases.Values.Where(s => s.TenantId == tenantId && !s.Released).OrderBy(s => s.CreatedAt).ToList();

    public IEnumerable<string> TenantsWithSandboxes => _leases.Values.Select(s => s.TenantId).Distinct();

    public async Task<bool> DeleteAsync(string tenantId, string id)
    {
        var sandbox = Find(tenantId, id);
        if (sandbox is null)
        {
            return false;
        }
        if (sandbox.RunKey is not null && runCredentials is not null)
        {
            try
            {
                // Revoked before the answer, so a run key never outlives the DELETE that ended its run.
                await runCredentials.RevokeAsync(sandbox.RunId!, CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or RunKeyUnavailableException or TaskCanceledException)
            {
                logger.LogError(e, "Could not revoke the run key of sandbox {SandboxId} at once; announcing the run's end instead", sandbox.Id);
            }
        }
        return await ReleaseAsync(sandbox, "ok");
    }

    /// <summary>
    /// Where and as whom the sandbox reaches the platform: the Gateway through its egress proxy, when it has one, and
    /// the run's own key. Set after the caller's variables, so an exec cannot pass a run off with another key.
    /// </summary>
    private IReadOnlyDictionary<string, string> WithPlatformAccess(IReadOnlyDictionary<string, string> env, Sandbox sandbox)
    {
        var withAccess = new Dictionary<string, string>(env, StringComparer.Ordinal);
        if (sandbox.EgressSocket is not null && Options.PlatformGatewayUrl is not null && Uri.TryCreate(Options.PlatformGatewayUrl, UriKind.Absolute, out var gateway))
        {
            withAccess["AGENTCLOUD_URL"] = $"http://{SandboxBrokerOptions.PlatformGatewayHost}:{gateway.Port}";
        }
        if (sandbox.RunKey is { } key)
        {
            withAccess["AGENTCLOUD_KEY"] = key.Key;
            withAccess["AGENTCLOUD_RUN_ID"] = key.RunId;
        }
        return withAccess;
    }

    public async Task<ExecResult> ExecAsync(Sandbox sandbox, ExecRequest request, CancellationToken cancellationToken)
    {
        var (command, env, stdin, timeout) = Validate(request, sandbox);
        switch (sandbox.TryBeginExec(Options.Limits.MaxConcurrentExecs))
        {
            case ExecAdmission.Released:
                throw new SandboxRefusal(RefusalKind.Invalid, "The sandbox was deleted.");
            case ExecAdmission.Full:
                throw new SandboxRefusal(RefusalKind.TooManyExecs,
                    $"The sandbox already runs {Options.Limits.MaxConcurrentExecs} execs, the most one sandbox may run at once; retry when one ends.");
        }
        try
        {
            sandbox.LastUsedAt = time.GetUtcNow();
            slotSandboxes.EnsureRunning(sandbox);
            var spec = new ExecSpec(command, WithPlatformAccess(env, sandbox), sandbox.EgressSocket);
            var launch = cgroups.Confine(catalog.Backend(sandbox.Isolation).BuildLaunch(sandbox.Slot, spec), sandbox.Cgroup);
            var result = await executor.RunAsync(launch, stdin, timeout, cancellationToken);
            return slotSandboxes.Ended(sandbox)
                ? result with { Stderr = result.Stderr + SlotSandboxes.EndedNotice }
                : result;
        }
        finally
        {
            sandbox.LastUsedAt = time.GetUtcNow();
            sandbox.EndExec();
        }
    }

    /// <summary>MAX_ARG_STRLEN: execve refuses a longer single argument or variable (with its NUL) with E2BIG.</summary>
    public const int MaxSingleArgumentBytes = 128 * 1024;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    private (IReadOnlyList<string>, IReadOnlyDictionary<string, string>, byte[]?, TimeSpan) Validate(ExecRequest request, Sandbox sandbox)
    {
        if (request.Command is null || request.Command.Count == 0 || string.IsNullOrEmpty(request.Command[0]))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, "command must be a non-empty list whose first element is the program, e.g. [\"python3\", \"main.py\"].");
        }
        long bytes = 0;
        foreach (var arg in request.Command)
        {
            if (arg is null || arg.Contains('\0'))
            {
                throw new SandboxRefusal(RefusalKind.Invalid, "command elements must be strings without NUL characters.");
            }
            bytes += Encoding.UTF8.GetByteCount(arg) + 1;
            if (Encoding.UTF8.GetByteCount(arg) >= MaxSingleArgumentBytes)
            {
                throw new SandboxRefusal(RefusalKind.Invalid, $"A command element is {Encoding.UTF8.GetByteCount(arg)} bytes; the kernel takes at most {MaxSingleArgumentBytes - 1} bytes in one. Put large input in a file or stdin.");
            }
        }
        var env = new Dictionary<string, string>(sandbox.Slot.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in request.Env ?? [])
        {
            if (!EnvName().IsMatch(name) || value is null || value.Contains('\0'))
            {
                throw new SandboxRefusal(RefusalKind.Invalid, $"env: '{name}' must be a name of letters, digits and '_' (not starting with a digit) with a string value without NUL.");
            }
            var size = Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
            if (size > MaxSingleArgumentBytes)
            {
                throw new SandboxRefusal(RefusalKind.Invalid, $"env: '{name}' is {size} bytes with its name; the kernel takes at most {MaxSingleArgumentBytes} bytes in one variable. Put large input in a file or stdin.");
            }
            bytes += size;
            env[name] = value;
        }
        if (bytes > Options.MaxArgumentBytes)
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"command and env together are {bytes} bytes; the limit is {Options.MaxArgumentBytes}. Put large input in a file or stdin.");
        }
        var stdin = request.Stdin is null ? null : Encoding.UTF8.GetBytes(request.Stdin);
        if (stdin is { Length: var n } && n > Options.MaxStdinBytes)
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"stdin is {n} bytes; the limit is {Options.MaxStdinBytes}. Upload large input as a file.");
        }
        var seconds = request.TimeoutSeconds ?? Options.DefaultExecTimeoutSeconds;
        if (seconds < 1 || seconds > Options.MaxExecTimeoutSeconds)
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"timeoutSeconds must be between 1 and {Options.MaxExecTimeoutSeconds}, not {seconds}.");
        }
        return (request.Command.Select(c => c!).ToList(), env, stdin, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>Ends a lease: stops its egress, emits its usage, kills its processes and recycles or destroys its slot (always, even on failure).</summary>
    public async Task<bool> ReleaseAsync(Sandbox sandbox, string status)
    {
        if (!sandbox.MarkReleased())
        {
            return false;
        }
        var ended = time.GetUtcNow();
        try
        {
            if (sandbox.EgressListener is { } listener)
            {
                await listener.DisposeAsync();
            }
            await usage.EmitAsync(sandbox, ended, status);
        }
        finally
        {
            if (sandbox.RunKey is not null && runCredentials is not null)
            {
                // Also after an explicit revoke: the message is cheap, and it covers a revoke that failed.
                await runCredentials.AnnounceEndedAsync(sandbox.TenantId, sandbox.RunId!);
            }
            _leases.TryRemove(sandbox.Id, out _);
            cgroups.RemoveSandboxGroup(sandbox.Cgroup);
            try
            {
                if (!pools.Return(sandbox.Slot))
                {
                    logger.LogInformation("Slot {SlotId} of sandbox {SandboxId} destroyed", sandbox.Slot.SlotId, sandbox.Id);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Recycling slot {SlotId} failed; destroying it", sandbox.Slot.SlotId);
                recycler.Destroy(sandbox.Slot);
            }
        }
        return true;
    }

    /// <summary>
    /// Sweeps one tenant: ends its idle or expired leases, and removes folders in that tenant's area that no live
    /// lease owns. Touches nothing of any other tenant.
    /// </summary>
    public async Task<int> SweepTenantAsync(string tenantId)
    {
        var now = time.GetUtcNow();
        var swept = 0;
        foreach (var sandbox in _leases.Values.Where(s => s.TenantId == tenantId).ToList())
        {
            var idle = sandbox.RunningExecs == 0 && now - sandbox.LastUsedAt >= Options.IdleTimeout;
            if ((idle || now >= sandbox.ExpiresAt) && await ReleaseAsync(sandbox, idle ? "ok" : "aborted"))
            {
                logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} ended: {Why}", sandbox.Id, tenantId, idle ? "idle" : "lifetime reached");
                swept++;
            }
        }
        var area = layout.TenantDirectory(tenantId);
        if (!Directory.Exists(area))
        {
            return swept;
        }
        var owned = _leases.Values.Where(s => s.TenantId == tenantId).Select(s => s.Slot.SlotId).ToHashSet(StringComparer.Ordinal);
        var records = layout.Records().ToDictionary(r => r.SlotId, StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(area))
        {
            var slotId = Path.GetFileName(dir);
            if (owned.Contains(slotId))
            {
                continue;
            }
            if (records.TryGetValue(slotId, out var record))
            {
                SlotProcesses.KillAll(record.Uid);
                File.Delete(Path.Combine(layout.Meta, slotId + ".json"));
            }
            SlotDisk.UnmountBeneath(dir);
            Directory.Delete(dir, recursive: true);
            logger.LogInformation("Removed stale workspace {SlotId} of tenant {TenantId}", slotId, tenantId);
            swept++;
        }
        return swept;
    }

    /// <summary>A tenant was offboarded: end all its leases, drop its dedicated pool and remove its folder.</summary>
    public async Task OffboardAsync(string tenantId)
    {
        foreach (var sandbox in _leases.Values.Where(s => s.TenantId == tenantId).ToList())
        {
            await ReleaseAsync(sandbox, "aborted");
        }
        pools.DropDedicated(tenantId);
        await SweepTenantAsync(tenantId);
        var area = layout.TenantDirectory(tenantId);
        if (Directory.Exists(area) && !Directory.EnumerateFileSystemEntries(area).Any())
        {
            Directory.Delete(area);
        }
        logger.LogInformation("Tenant {TenantId} offboarded: its sandboxes and dedicated pool are gone", tenantId);
    }

    /// <summary>At start: every slot on disk belongs to a previous run of the broker; kill its processes and remove it.</summary>
    public int ReclaimOrphans()
    {
        recycler.ReclaimSandboxes();
        var reclaimed = 0;
        foreach (var record in layout.Records().ToList())
        {
            SlotProcesses.KillAll(record.Uid);
            File.Delete(Path.Combine(layout.Meta, record.SlotId + ".json"));
            reclaimed++;
        }
        SlotDisk.UnmountBeneath(layout.Root);
        foreach (var area in new[] { layout.Warm, layout.Tenants, layout.Sockets })
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(area))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }
        if (reclaimed > 0)
        {
            logger.LogWarning("Reclaimed {Count} orphaned sandbox slots left by a previous broker run", reclaimed);
        }
        return reclaimed;
    }

    /// <summary>Ends every lease (shutdown).</summary>
    public async Task ReleaseAllAsync()
    {
        foreach (var sandbox in _leases.Values.ToList())
        {
            await ReleaseAsync(sandbox, "aborted");
        }
    }
}
