using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Where slots live on disk: <c>warm/&lt;slot&gt;</c> while pooled, <c>tenants/&lt;tenant key&gt;/&lt;slot&gt;</c> while leased,
/// each 0700 and owned by the slot's uid; <c>slots/&lt;slot&gt;.json</c> (root-owned, out of every sandbox's reach)
/// records the uid so orphans can be reclaimed after a restart.
/// </summary>
public sealed class SlotLayout
{
    private readonly SandboxBrokerOptions _options;
    private readonly HashSet<int> _uidsInUse = [];

    /// <summary>Uids of paused sandboxes whose processes were checkpointed: they run as that uid again at resume, so no other slot gets it meanwhile.</summary>
    private readonly HashSet<int> _pausedUids = [];

    public SlotLayout(IOptions<SandboxBrokerOptions> options)
    {
        _options = options.Value;
        Root = Path.GetFullPath(_options.Root);
        // A unix socket path must fit in 108 bytes; a deep root puts the sockets in a short folder named after it.
        Sockets = Root.Length <= 48 ? Path.Combine(Root, "sockets")
            : Path.Combine(Path.GetTempPath(), "agentcloud-egress-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Root)))[..12]);
        foreach (var dir in new[] { Root, Warm, Tenants, Sockets, Meta })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, dir == Meta ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : Traversable);
        }
    }

    private const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Root { get; }
    public string Warm => Path.Combine(Root, "warm");
    public string Tenants => Path.Combine(Root, "tenants");
    public string Sockets { get; }
    public string Meta => Path.Combine(Root, "slots");

    /// <summary>A path-safe, collision-free folder name for a tenant id.</summary>
    public static string TenantKey(string tenantId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenantId)))[..24];

    public string TenantDirectory(string tenantId) => Path.Combine(Tenants, TenantKey(tenantId));

    public string EgressSocketPath(string sandboxId) => Path.Combine(Sockets, sandboxId + ".sock");

    /// <summary>
    /// A new slot with a free uid, or for a checkpointed sandbox's resume with its <paramref name="pausedUid"/> (held by
    /// <see cref="HoldForPause"/>) and its old <paramref name="pausedSlotId"/>, which its restored processes are filed under.
    /// </summary>
    public SandboxSlot CreateSlot(PoolKey pool, int? pausedUid = null, string? pausedSlotId = null)
    {
        if (pausedSlotId is not null && !System.Text.RegularExpressions.Regex.IsMatch(pausedSlotId, "^s[0-9a-f]{16}$"))
        {
            throw new IOException($"'{pausedSlotId}' is not a slot id this broker makes");
        }
        var slotId = pausedSlotId ?? "s" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var uid = pausedUid is { } kept ? TakePausedUid(kept) : AllocateUid();
        var slot = new SandboxSlot(slotId, uid, pool.Level, pool.Template, Path.Combine(Warm, slotId), pool);
        try
        {
            File.WriteAllText(Path.Combine(Meta, slotId + ".json"), JsonSerializer.Serialize(new SlotRecord(slotId, uid)));
            MakePrivate(slot.Directory, uid);
            MakePrivate(slot.Workspace, uid);
            MakePrivate(slot.Tmp, uid);
            MakePrivate(slot.RootMount, uid);
            MountDisks(slot);
            return slot;
        }
        catch
        {
            Remove(slot);
            throw;
        }
    }

    public void MakePrivate(string path, int uid)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, Private);
        if (LaunchPrefix.BrokerIsRoot && Libc.LChown(path, uid, uid) != 0)
        {
            throw new IOException($"chown {path} to {uid} failed with errno {Libc.LastError}");
        }
    }

    /// <summary>The workspace and /tmp each on a tmpfs of its configured size (where the broker is root).</summary>
    public void MountDisks(SandboxSlot slot)
    {
        var limits = _options.LimitsOf(slot.Template);
        SlotDisk.Mount(slot.Workspace, limits.WorkspaceBytes, slot.Uid);
        SlotDisk.Mount(slot.Tmp, limits.TmpBytes, slot.Uid);
    }

    /// <summary>Moves the slot's folder into the tenant's area (lease) or back to the warm area (pool).</summary>
    public void MoveTo(SandboxSlot slot, string? tenantId)
    {
        var parent = tenantId is null ? Warm : TenantDirectory(tenantId);
        if (tenantId is not null && !Directory.Exists(parent))
        {
            Directory.CreateDirectory(parent);
            File.SetUnixFileMode(parent, Traversable);
        }
        var target = Path.Combine(parent, slot.SlotId);
        if (target != slot.Directory)
        {
            Directory.Move(slot.Directory, target);
            slot.Directory = target;
        }
    }

    /// <summary>Deletes the slot's folder and record and frees its uid; the caller has killed its processes.</summary>
    public void Remove(SandboxSlot slot)
    {
        try
        {
            if (Directory.Exists(slot.Directory))
            {
                SlotDisk.UnmountBeneath(slot.Directory);
                Directory.Delete(slot.Directory, recursive: true);
            }
            File.Delete(Path.Combine(Meta, slot.SlotId + ".json"));
        }
        finally
        {
            ReleaseUid(slot.Uid);
        }
    }

    public IEnumerable<SlotRecord> Records()
    {
        foreach (var file in Directory.EnumerateFiles(Meta, "*.json"))
        {
            SlotRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize<SlotRecord>(File.ReadAllText(file));
            }
            catch (JsonException)
            {
                File.Delete(file);
            }
            if (record is not null)
            {
                yield return record;
            }
        }
    }

    public bool IsSandboxUid(int uid) => uid >= _options.UidBase && uid < _options.UidBase + _options.UidCount;

    private int AllocateUid()
    {
        lock (_uidsInUse)
        {
            var start = Random.Shared.Next(_options.UidCount);
            for (var i = 0; i < _options.UidCount; i++)
            {
                var uid = _options.UidBase + (start + i) % _options.UidCount;
                if (!_pausedUids.Contains(uid) && _uidsInUse.Add(uid))
                {
                    return uid;
                }
            }
            throw new SandboxRefusal(RefusalKind.Busy, "The broker has no free sandbox uid left; try again shortly.");
        }
    }

    /// <summary>Keeps the uid from every new slot until <see cref="ReleasePaused"/>; its own slot is destroyed, not recycled (see <see cref="IsHeldForPause"/>).</summary>
    public void HoldForPause(int uid)
    {
        lock (_uidsInUse)
        {
            _pausedUids.Add(uid);
        }
    }

    public void ReleasePaused(int uid)
    {
        lock (_uidsInUse)
        {
            _pausedUids.Remove(uid);
        }
    }

    /// <summary>How many uids checkpointed paused sandboxes hold now.</summary>
    public int HeldForPauseCount
    {
        get
        {
            lock (_uidsInUse)
            {
                return _pausedUids.Count;
            }
        }
    }

    public bool IsHeldForPause(int uid)
    {
        lock (_uidsInUse)
        {
            return _pausedUids.Contains(uid);
        }
    }

    private int TakePausedUid(int uid)
    {
        lock (_uidsInUse)
        {
            if (!_pausedUids.Contains(uid) || !_uidsInUse.Add(uid))
            {
                throw new SandboxRefusal(RefusalKind.Busy, "The paused sandbox's uid is still held by the slot it ran in; retry the resume shortly.");
            }
            return uid;
        }
    }

    private void ReleaseUid(int uid)
    {
        lock (_uidsInUse)
        {
            _uidsInUse.Remove(uid);
        }
    }
}

public sealed record SlotRecord(string SlotId, int Uid);
