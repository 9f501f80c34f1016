using System.Diagnostics;
using System.Security.Cryptography;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.SandboxBroker.Credentials;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Fleet;
using AgentCloud.SandboxBroker.Leases;
using AgentCloud.SandboxBroker.Sandboxes;
using AgentCloud.SandboxBroker.Usage;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>
/// Leases sandboxes on the kubernetes level as <see cref="SandboxManager"/> does on the host: the tenant's limit counted
/// over both and across the fleet, a claim per lease, a run key, execs in its pod, and an end that deletes the claim,
/// bills the lease once (<c>sandbox:kubernetes</c>) and ends the run. Each lease is in the fleet's record as this broker's
/// (<see cref="FleetLeases"/>), so siblings forward its calls here, and a survivor bills it and deletes its claim if this broker dies.
/// </summary>
public sealed class ClusterLeasing(
    ClusterSandboxes sandboxes,
    KubernetesSandboxes claims,
    ClusterLeases table,
    LeaseJournal journal,
    SandboxLeases hostLeases,
    FleetLeases fleet,
    KubernetesLevel level,
    PodExec pods,
    ExecRequestValidator validator,
    SandboxUsage usage,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<ClusterLeasing> logger,
    IRunCredentials? runCredentials = null)
{
    private SandboxBrokerOptions Options => options.Value;

    public async Task<ClusterLease> CreateAsync(TenantContext caller, TenantPolicy policy, CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        var maxLifetime = (int)Options.MaxLifetime.TotalSeconds;
        if (request.TimeoutSeconds is { } t && (t < 1 || t > maxLifetime))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"timeoutSeconds must be between 1 and {maxLifetime}, not {t}.");
        }
        if (request.Capabilities is { } asked && (asked.Count > 32 || asked.Any(string.IsNullOrEmpty)))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, "capabilities must be a list of at most 32 capability names, e.g. [\"inference\", \"memory:read\"].");
        }
        if (policy.MaxConcurrentSandboxes <= 0)
        {
            throw new SandboxRefusal(RefusalKind.NotAllowed, $"Tier '{policy.Tier}' includes no sandboxes.");
        }
        var now = time.GetUtcNow();
        var id = "sbx_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var lease = new ClusterLease
        {
            Id = id, TenantId = caller.TenantId, Principal = caller.Principal, RunId = caller.RunId ?? id, ProjectId = caller.ProjectId,
            Tier = policy.Tier, Dedicated = policy.DedicatedSandboxPool, CreatedAt = now, LastUsedAt = now, RunKeyIntended = Options.IssueRunKeys && runCredentials is not null,
            ExpiresAt = now + (request.TimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : Options.MaxLifetime),
        };
        // The same lock as the host's creates; the fleet's count holds the limit over host and cluster sandboxes of every broker.
        lock (hostLeases.LockFor(caller.TenantId))
        {
            var live = hostLeases.CountOf(caller.TenantId) + table.CountOf(caller.TenantId);
            if (live >= policy.MaxConcurrentSandboxes)
            {
                throw TooMany(live, policy);
            }
            if (fleet.TryAdmit(lease.ToLeaseRecord(), policy.MaxConcurrentSandboxes) is { } fleetWide)
            {
                throw TooMany(fleetWide, policy);
            }
            table.Add(lease); // counted while its pod is claimed
        }
        try
        {
            // Journaled before its pod is claimed: after a crash LeaseRecovery bills it and ClusterJanitor deletes its claim.
            journal.Record(fleet.Record(lease.ToLeaseRecord()));
            lease.Sandbox = await sandboxes.CreateAsync(id, policy, lease.RunId, lease.ExpiresAt, cancellationToken);
        }
        catch (Exception e)
        {
            lease.MarkEnded();
            table.Remove(id); // never handed out, so never billed
            fleet.Abandon(caller.TenantId, id);
            if (e is not ClaimLeftException)
            {
                Forget(id); // its claim is gone; one left behind stays journaled, so the next start deletes and bills it
            }
            throw ClusterFaults.IsClusterFault(e, cancellationToken)
                ? new SandboxRefusal(RefusalKind.Busy, $"The cluster did not give a sandbox: {e.Message} Retry shortly.")
                : e;
        }
        if (lease.Ended)
        {
            await AbandonAsync(lease);
        }
        if (Options.IssueRunKeys && runCredentials is not null)
        {
            try
            {
                var keyLifetime = lease.ExpiresAt - time.GetUtcNow() + TimeSpan.FromSeconds(30);
                lease.RunKey = await runCredentials.MintAsync(caller, lease.RunId, request.Capabilities?.Select(c => c!).ToList(), keyLifetime, cancellationToken);
            }
            catch
            {
                await EndAsync(lease, "aborted");
                throw;
            }
        }
        logger.LogInformation("Sandbox {SandboxId} for tenant {TenantId}: kubernetes, claim {Claim}, pod {Pod}",
            id, caller.TenantId, lease.Sandbox.Claim.ClaimName, lease.Sandbox.Claim.PodName);
        return lease;
    }

    /// <summary>
    /// The lease was ended (tenant offboarded, broker stopping) while its claim was made: egress and claim deleted here, as
    /// <see cref="EndAsync"/> left them to the create, and the create refused; never handed out, so never billed.
    /// </summary>
    private async Task AbandonAsync(ClusterLease lease)
    {
        var deleted = true;
        try
        {
            await sandboxes.DeleteAsync(lease.Sandbox!, CancellationToken.None);
        }
        catch (Exception e) when (ClusterFaults.IsClusterFault(e, CancellationToken.None))
        {
            deleted = false; // stays journaled: the next start deletes the claim and bills it
            logger.LogError(e, "Deleting the claim of sandbox {SandboxId}, ended while it was created, failed", lease.Id);
        }
        table.Remove(lease.Id);
        fleet.Abandon(lease.TenantId, lease.Id);
        if (deleted)
        {
            Forget(lease.Id);
        }
        throw new SandboxRefusal(RefusalKind.Busy, $"Sandbox '{lease.Id}' was ended while it was being created (its tenant was suspended or the broker is stopping). Retry shortly.");
    }

    /// <summary>The caller's DELETE: its run key revoked before the answer, then the lease ended.</summary>
    public async Task<bool> DeleteAsync(ClusterLease lease)
    {
        if (lease.RunKey is not null && runCredentials is not null)
        {
            try
            {
                await runCredentials.RevokeAsync(lease.RunId, CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or RunKeyUnavailableException or TaskCanceledException)
            {
                logger.LogError(e, "Could not revoke the run key of sandbox {SandboxId} at once; announcing the run's end instead", lease.Id);
            }
        }
        return await EndAsync(lease, "ok");
    }

    /// <summary>Ends a lease once: egress and claim deleted, its seconds billed, its run announced ended; false when it had ended.</summary>
    public async Task<bool> EndAsync(ClusterLease lease, string status)
    {
        if (!lease.MarkEnded())
        {
            return false;
        }
        if (lease.Sandbox is null)
        {
            return true; // still being created: the create sees it ended and deletes what it claimed (AbandonAsync)
        }
        var ended = time.GetUtcNow();
        try
        {
            if (lease.Sandbox is { } sandbox)
            {
                await sandboxes.DeleteAsync(sandbox, CancellationToken.None);
            }
        }
        catch (Exception e) when (ClusterFaults.IsClusterFault(e, CancellationToken.None))
        {
            // Its claim's shutdownTime still has the controller delete it at its expiry.
            logger.LogError(e, "Deleting the claim of sandbox {SandboxId} failed; the controller deletes it at its expiry", lease.Id);
        }
        finally
        {
            // Not billed here when the fleet holds proof that a survivor billed it as lost (this broker was declared dead).
            var billed = !await fleet.EndAsync(lease.TenantId, lease.Id, paused: false, TimeSpan.Zero) || await usage.EmitAsync(lease.ToLeaseRecord(), ended, status);
            if (lease.RunKey is not null && runCredentials is not null)
            {
                await runCredentials.AnnounceEndedAsync(lease.TenantId, lease.RunId);
            }
            table.Remove(lease.Id);
            if (billed)
            {
                Forget(lease.Id);
            }
        }
        return true;
    }

    /// <summary>
    /// At start: deletes the claims of the leases a crashed previous run journaled (<see cref="LeaseRecovery"/> bills them);
    /// returns how many were still there.
    /// </summary>
    public async Task<int> ReclaimOrphansAsync(IEnumerable<string> sandboxIds, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var id in sandboxIds)
        {
            if (await claims.DeleteAsync(SandboxManifests.ClaimName(id), cancellationToken))
            {
                deleted++;
            }
        }
        if (deleted > 0)
        {
            logger.LogWarning("Deleted {Count} sandbox claims left by a previous run of this broker", deleted);
        }
        return deleted;
    }

    /// <summary>
    /// A dead sibling's cluster sandbox, claimed and billed by this survivor: its claim is deleted (it lives in the
    /// cluster, which this broker reaches too); false when it was already gone. Throws while the cluster is away (retried);
    /// a broker with no cluster configured cannot reach it, and leaves it to the claim's shutdownTime.
    /// </summary>
    public async Task<bool> DeleteLostClaimAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (!level.Configured)
        {
            logger.LogError("Sandbox {SandboxId} of a dead broker ran in a cluster this broker is not configured for; its claim ends at its expiry", sandboxId);
            return false;
        }
        return await claims.DeleteAsync(SandboxManifests.ClaimName(sandboxId), cancellationToken);
    }

    /// <summary>Runs an exec in the lease's pod; with <paramref name="output"/>, streams it there too.</summary>
    public async Task<ExecResult> ExecAsync(ClusterLease lease, ExecRequest request, IExecOutput? output, CancellationToken cancellationToken)
    {
        var (command, env, stdin, timeout) = validator.Validate(request, new Dictionary<string, string>());
        var pod = Ready(lease);
        var maxExecs = Options.LimitsOf(SandboxTemplate.DefaultName).MaxConcurrentExecs;
        if (!lease.TryBeginExec(maxExecs))
        {
            throw new SandboxRefusal(RefusalKind.TooManyExecs, $"The sandbox already runs {maxExecs} execs, the most one sandbox may run at once; retry when one ends.");
        }
        try
        {
            lease.LastUsedAt = time.GetUtcNow();
            var watch = Stopwatch.StartNew();
            var result = await pods.RunAsync(pod, command, WithRunKey(env, lease), stdin ?? [], timeout, Options.MaxOutputBytes, cancellationToken, output);
            return new ExecResult(result.ExitCode, result.Stdout, result.Stderr, watch.ElapsedMilliseconds, result.TimedOut, result.Truncated);
        }
        catch (Exception e) when (ClusterFaults.IsClusterFault(e, cancellationToken))
        {
            throw new SandboxRefusal(RefusalKind.Busy, $"The sandbox's pod could not be reached: {e.Message} Retry shortly.");
        }
        finally
        {
            lease.LastUsedAt = time.GetUtcNow();
            lease.EndExec();
        }
    }

    public async Task WriteFileAsync(ClusterLease lease, string path, byte[] content, CancellationToken cancellationToken)
    {
        await pods.WriteFileAsync(Ready(lease), ClusterPaths.InWorkspace(path), content, cancellationToken);
        lease.LastUsedAt = time.GetUtcNow();
    }

    public async Task<byte[]> ReadFileAsync(ClusterLease lease, string path, CancellationToken cancellationToken)
    {
        var bytes = await pods.ReadBytesAsync(Ready(lease), ClusterPaths.InWorkspace(path), (int)Math.Min(int.MaxValue / 2, Options.MaxDownloadBytes), cancellationToken);
        lease.LastUsedAt = time.GetUtcNow();
        return bytes;
    }

    /// <summary>Ends the expired and idle leases of this broker; returns how many.</summary>
    public async Task<int> SweepAsync()
    {
        var now = time.GetUtcNow();
        var swept = 0;
        foreach (var lease in table.All().Where(l => l.Sandbox is not null))
        {
            var idle = lease.RunningExecs == 0 && now - lease.LastUsedAt >= Options.IdleTimeout;
            if ((idle || now >= lease.ExpiresAt) && await EndAsync(lease, idle ? "ok" : "aborted"))
            {
                logger.LogInformation("Sandbox {SandboxId} of tenant {TenantId} ended: {Why}", lease.Id, lease.TenantId, idle ? "idle" : "lifetime reached");
                swept++;
            }
        }
        return swept;
    }

    /// <summary>A tenant was suspended or offboarded: its cluster sandboxes end (claims deleted, billed, runs ended).</summary>
    public async Task OffboardAsync(string tenantId)
    {
        foreach (var lease in table.Live(tenantId))
        {
            await EndAsync(lease, "aborted");
        }
    }

    /// <summary>Ends every lease of this broker (at shutdown; "lost" once it learns it was declared dead).</summary>
    public async Task EndAllAsync(string status = "aborted")
    {
        foreach (var lease in table.All())
        {
            await EndAsync(lease, status);
        }
    }

    private void Forget(string sandboxId)
    {
        try
        {
            journal.Forget(sandboxId);
        }
        catch (IOException e)
        {
            // Harmless but for a second bill after a crash, which carries the same event id and is counted once.
            logger.LogError(e, "Could not drop ended lease {SandboxId} from the journal", sandboxId);
        }
    }

    private static SandboxRefusal TooMany(int held, TenantPolicy policy) => new(RefusalKind.TooManySandboxes,
        $"Tenant already holds {held} sandboxes, the most tier '{policy.Tier}' allows at once; delete one or wait for one to expire.");

    private static string Ready(ClusterLease lease) => lease.Sandbox?.Claim.PodName
        ?? throw new SandboxRefusal(RefusalKind.Busy, $"Sandbox '{lease.Id}' is still being claimed in the cluster; retry shortly.");

    /// <summary>The run's key, set after the caller's variables so an exec cannot pass a run off with another key.</summary>
    private static Dictionary<string, string> WithRunKey(IReadOnlyDictionary<string, string> env, ClusterLease lease)
    {
        var withKey = new Dictionary<string, string>(env, StringComparer.Ordinal);
        if (lease.RunKey is { } key)
        {
            withKey["AGENTCLOUD_KEY"] = key.Key;
            withKey["AGENTCLOUD_RUN_ID"] = key.RunId;
        }
        return withKey;
    }
}
