using System.Security.Cryptography;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Egress;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Pausing;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Leases sandboxes to tenants: picks the isolation level, takes a warm slot (or makes one), enforces the
/// per-tenant limit, journals the lease, mints its run key and runs its execs. Ending leases is <see cref="LeaseEnd"/>'s
/// job, cleaning up after them <see cref="SandboxJanitor"/>'s; the lease table is <see cref="SandboxLeases"/>.
/// </summary>
public sealed class SandboxManager(
    IsolationCatalog catalog,
    WarmPools pools,
    SlotLayout layout,
    Recycler recycler,
    SandboxExecutor executor,
    EgressProxy egress,
    CgroupLimiter cgroups,
    SandboxLeases leases,
    LeaseJournal journal,
    LeaseEnd leaseEnd,
    SandboxJanitor janitor,
    ExecRequestValidator validator,
    SlotSandboxes slotSandboxes,
    Processes.SandboxLaunches launches,
    Kubernetes.ClusterLeases clusterLeases,
    Fleet.FleetLeases fleet,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<SandboxManager> logger,
    IRunCredentials? runCredentials = null)
{
    private SandboxBrokerOptions Options => options.Value;

    /// <summary>
    /// Creates the sandbox and, where run keys are issued, its run key; without a key the sandbox is not handed out.
    /// With <paramref name="resuming"/>, the new lease is that paused sandbox's (see <see cref="SandboxPauser"/>), held until its workspace is back.
    /// </summary>
    public async Task<Sandbox> CreateAsync(TenantContext caller, TenantPolicy policy, CreateSandboxRequest request, CancellationToken cancellationToken,
        PausedSandbox? resuming = null, SandboxSlot? restoredSlot = null)
    {
        if (request.Capabilities is { } asked && (asked.Count > 32 || asked.Any(string.IsNullOrEmpty)))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, "capabilities must be a list of at most 32 capability names, e.g. [\"inference\", \"memory:read\"].");
        }
        // Refused before a warm slot is taken, and off the tenant's lock, while Redis is slow or away.
        if (policy.MaxConcurrentSandboxes > 0
            && await fleet.AtLimitAsync(caller.TenantId, policy.MaxConcurrentSandboxes) is { } held)
        {
            throw TooMany(held, policy);
        }
        var sandbox = Create(caller, policy, request, resuming, restoredSlot);
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

    /// <summary>With <paramref name="restoredSlot"/> (a checkpointed sandbox's, see <see cref="ProcessCheckpointer"/>), the lease takes that slot, never a pooled one.</summary>
    public Sandbox Create(TenantContext caller, TenantPolicy policy, CreateSandboxRequest request, PausedSandbox? resuming = null, SandboxSlot? restoredSlot = null)
    {
        var template = request.Template ?? SandboxTemplate.DefaultName;
        if (!Options.EffectiveTemplates().TryGetValue(template, out var templateOptions))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"Unknown template '{template}'. Known templates: {string.Join(", ", Options.EffectiveTemplates().Keys)}.");
        }
        if (templateOptions.Tiers.Count > 0 && !templateOptions.Tiers.Contains(policy.Tier, StringComparer.Ordinal))
        {
            throw new SandboxRefusal(RefusalKind.NotAllowed, $"Template '{template}' is for tiers [{string.Join(", ", templateOptions.Tiers)}]; tier '{policy.Tier}' may not use it.");
        }
        if (templateOptions.Unavailable() is { } missing)
        {
            throw new SandboxRefusal(RefusalKind.Unavailable, $"Template '{template}' cannot be used on this broker: {missing}.");
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
        // Left to choose, a layered template goes to the strongest level that can mount its layer.
        var candidates = request.Isolation is null && templateOptions.RootLayer is not null
            ? policy.SandboxIsolationLevels.Where(l => l is not (IsolationLevels.None or IsolationLevels.Firecracker)).ToList()
            : policy.SandboxIsolationLevels;
        var level = catalog.Choose(candidates, request.Isolation) ?? throw new SandboxRefusal(RefusalKind.NoAcceptableIsolation,
            $"No acceptable isolation level{(request.Isolation is null ? "" : $" for '{request.Isolation}'")}: tier '{policy.Tier}' accepts " +
            $"[{string.Join(", ", policy.SandboxIsolationLevels)}]; this host offers [{string.Join(", ", catalog.Available)}]" +
            (templateOptions.RootLayer is null ? "." : $"; template '{template}' mounts a root layer, which only gvisor, bubblewrap and namespace can."));
        if (templateOptions.RootLayer is not null && level is IsolationLevels.None or IsolationLevels.Firecracker)
        {
            // none has no mount namespace to mount it in, and a firecracker guest sees no host folder.
            throw new SandboxRefusal(RefusalKind.NoAcceptableIsolation, $"Template '{template}' mounts a root layer, which level '{level}' cannot; ask for gvisor, bubblewrap or namespace.");
        }
        if (policy.MaxConcurrentSandboxes <= 0)
        {
            throw new SandboxRefusal(RefusalKind.NotAllowed, $"Tier '{policy.Tier}' includes no sandboxes.");
        }

        var key = new PoolKey(level, template, policy.DedicatedSandboxPool ? caller.TenantId : null);
        var now = time.GetUtcNow();
        var timeoutSeconds = request.TimeoutSeconds ?? templateOptions.TimeoutSeconds;
        var lifetime = resuming?.RemainingLifetime ?? (timeoutSeconds is { } s ? TimeSpan.FromSeconds(Math.Min(s, maxLifetime)) : Options.MaxLifetime);
        Sandbox sandbox;
        lock (leases.LockFor(caller.TenantId))
        {
            var clusterCount = clusterLeases.CountOf(caller.TenantId); // the same limit over both
            var live = leases.CountOf(caller.TenantId) + clusterCount;
            if (live >= policy.MaxConcurrentSandboxes)
            {
                throw TooMany(live, policy);
            }
            SandboxSlot? slot = restoredSlot;
            var warm = slot is null && pools.TryTake(key, out slot);
            string? journaled = null;
            if (slot is null)
            {
                slot = layout.CreateSlot(key);
                recycler.Prepare(slot);
            }
            string? group = null;
            Sandbox? admitted = null;
            try
            {
                layout.MoveTo(slot, caller.TenantId);
                var id = resuming?.Id ?? "sbx_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
                sandbox = new Sandbox
                {
                    // A sandbox is one run unless the caller is already part of one; a resumed one stays its run, billed as before.
                    Id = id, TenantId = caller.TenantId, Principal = resuming?.Principal ?? caller.Principal, RunId = resuming?.RunId ?? caller.RunId ?? id,
                    ProjectId = resuming is null ? caller.ProjectId : resuming.ProjectId, Slot = slot,
                    CreatedAt = resuming?.CreatedAt ?? now, ExpiresAt = now + lifetime, LastUsedAt = now, Warm = warm, Egress = policy.Egress.ToList(),
                    RunKeyIssued = Options.IssueRunKeys && runCredentials is not null, Segment = resuming?.Segment ?? 0, LeaseStartedAt = now,
                };
                if (resuming is not null)
                {
                    sandbox.TryHold(); // nothing runs in it before its workspace is back
                }
                // The limit holds across the fleet (cluster sandboxes too): the tenant's place is taken in Redis, with the sandbox's owner and lease record.
                if (fleet.TryAdmit(sandbox, policy.MaxConcurrentSandboxes) is { } fleetWide)
                {
                    throw TooMany(fleetWide, policy);
                }
                admitted = sandbox;
                // On disk before anything can run in it: a crash from here on is billed and reclaimed at the next start.
                journal.Record(fleet.Record(sandbox));
                journaled = sandbox.Id;
                sandbox.Cgroup = group = slotSandboxes.CreateGroup(sandbox);
                var reachable = Options.PlatformGatewayUrl is null ? policy.Egress : [.. policy.Egress, SandboxBrokerOptions.PlatformGatewayHost];
                var slotSandbox = catalog.Backend(level) as ISlotSandboxBackend;
                if (reachable.Count > 0 && (level == IsolationLevels.Bubblewrap || slotSandbox is not null))
                {
                    sandbox.EgressSocket = slotSandbox?.EgressSocketPath(slot) ?? layout.EgressSocketPath(sandbox.Id);
                    sandbox.EgressListener = egress.Listen(sandbox.EgressSocket, slot.Uid, new DomainAllowlist(reachable), caller.TenantId, sandbox.Id, sandbox.RunId);
                }
                leases.Add(sandbox);
            }
            catch
            {
                cgroups.RemoveSandboxGroup(group);
                recycler.Destroy(slot);
                if (journaled is not null)
                {
                    journal.Forget(journaled); // never handed out, so never billed
                }
                if (admitted is not null)
                {
                    fleet.Abandon(admitted);
                }
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

    private static SandboxRefusal TooMany(long live, TenantPolicy policy) => new(RefusalKind.TooManySandboxes,
        $"Tenant already holds {live} sandboxes, the most tier '{policy.Tier}' allows at once; delete one or wait for one to expire.");

    /// <summary>The tenant's own sandbox with that id, or null (also when it belongs to another tenant).</summary>
    public Sandbox? Find(string tenantId, string id) => leases.Find(tenantId, id);

    public IReadOnlyList<Sandbox> List(string tenantId) => leases.List(tenantId);

    public IEnumerable<string> TenantsWithSandboxes => leases.Tenants;

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
    internal IReadOnlyDictionary<string, string> WithPlatformAccess(IReadOnlyDictionary<string, string> env, Sandbox sandbox)
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

    public Task<ExecResult> ExecAsync(Sandbox sandbox, ExecRequest request, CancellationToken cancellationToken) =>
        ExecAsync(sandbox, request, output: null, cancellationToken);

    /// <summary>Runs an exec; with <paramref name="output"/>, also streams its output there (after every check has passed).</summary>
    public async Task<ExecResult> ExecAsync(Sandbox sandbox, ExecRequest request, IExecOutput? output, CancellationToken cancellationToken)
    {
        var (command, env, stdin, timeout) = validator.Validate(request, sandbox.Slot.Environment);
        var maxExecs = Options.LimitsOf(sandbox.Template).MaxConcurrentExecs;
        switch (sandbox.TryBeginExec(maxExecs))
        {
            case ExecAdmission.Released:
                throw new SandboxRefusal(RefusalKind.Invalid, "The sandbox was deleted.");
            case ExecAdmission.Paused:
                throw new SandboxRefusal(RefusalKind.Paused, $"Sandbox '{sandbox.Id}' is being paused or resumed; resume it with POST /v1/sandboxes/{sandbox.Id}/resume, then retry.");
            case ExecAdmission.Full:
                throw new SandboxRefusal(RefusalKind.TooManyExecs,
                    $"The sandbox already runs {maxExecs} execs, the most one sandbox may run at once; retry when one ends.");
        }
        try
        {
            sandbox.LastUsedAt = time.GetUtcNow();
            slotSandboxes.EnsureRunning(sandbox);
            var spec = new ExecSpec(command, WithPlatformAccess(env, sandbox), sandbox.EgressSocket);
            var launch = launches.ForExec(sandbox, spec);
            if (output is not null)
            {
                try
                {
                    await output.StartedAsync();
                }
                catch
                {
                    // The client went away before the launch ran: end it here, as the run would have.
                    executor.Finish(launch, killed: false);
                    throw;
                }
            }
            var result = await executor.RunAsync(launch, stdin, timeout, output, cancellationToken);
            if (!slotSandboxes.Ended(sandbox))
            {
                return result;
            }
            if (output is not null)
            {
                await output.WriteAsync(ExecOutputStream.Stderr, System.Text.Encoding.UTF8.GetBytes(SlotSandboxes.EndedNotice));
            }
            return result with { Stderr = result.Stderr + SlotSandboxes.EndedNotice };
        }
        finally
        {
            sandbox.LastUsedAt = time.GetUtcNow();
            sandbox.EndExec();
        }
    }

    /// <summary>Ends a lease (see <see cref="LeaseEnd"/>); false when it had already ended.</summary>
    public Task<bool> ReleaseAsync(Sandbox sandbox, string status) => leaseEnd.EndAsync(sandbox, status);

    public Task<int> SweepTenantAsync(string tenantId) => janitor.SweepTenantAsync(tenantId);

    /// <summary>A tenant was offboarded or suspended: its sandboxes end (see <see cref="SandboxJanitor"/>).</summary>
    public Task OffboardAsync(string tenantId) => janitor.OffboardAsync(tenantId);

    public int ReclaimOrphans() => janitor.ReclaimOrphans();

    public Task ReleaseAllAsync() => janitor.ReleaseAllAsync();
}
