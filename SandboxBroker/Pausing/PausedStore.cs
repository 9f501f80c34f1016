using System.Text.Json;
using AgentCloud.SandboxBroker.Native;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Pausing;

/// <summary>
/// The tenants' paused sandboxes: per tenant a root-only folder under the paused root named by the tenant's key (never
/// by anything a caller sent), holding <c>&lt;id&gt;.tar</c> (the saved workspace) and <c>&lt;id&gt;.json</c> (the record),
/// both 0600 and written whole (temporary name, fsync, rename, folder fsync). Read back at start, so a paused
/// sandbox survives a broker restart; a pause under way counts against the tenant's limit as a reservation.
/// </summary>
public sealed class PausedStore
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly Dictionary<string, PausedSandbox> _paused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reserved = new(StringComparer.Ordinal);

    /// <summary>Taken for a resume that is under way: still found (so a racing call is told it is paused), no longer resumable.</summary>
    private readonly Dictionary<string, PausedSandbox> _resuming = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ILogger<PausedStore> _logger;

    private readonly SlotLayout _layout;

    public PausedStore(IOptions<SandboxBrokerOptions> options, SlotLayout layout, ILogger<PausedStore> logger)
    {
        _logger = logger;
        _layout = layout;
        Root = options.Value.EffectivePausedRoot();
        MakePrivateFolder(Root);
        Load();
    }

    public string Root { get; }

    public string TenantFolder(string tenantId) => Path.Combine(Root, SlotLayout.TenantKey(tenantId));

    public string ArchivePath(string tenantId, string sandboxId) => Path.Combine(TenantFolder(tenantId), sandboxId + ".tar");

    /// <summary>A gVisor checkpoint's folder: <c>image/</c> (runsc's), <c>tmp.tar</c> (the sandbox's /tmp) and <c>output/</c> (its processes' output files).</summary>
    public string CheckpointPath(string tenantId, string sandboxId) => Path.Combine(TenantFolder(tenantId), sandboxId + ".checkpoint");

    /// <summary>An empty root-only folder the checkpoint is written into before <see cref="Commit"/> names it.</summary>
    public string CreateCheckpointFolder(string tenantId, string sandboxId)
    {
        MakePrivateFolder(TenantFolder(tenantId));
        var folder = CheckpointPath(tenantId, sandboxId) + ".tmp";
        TryDeleteFolder(folder);
        MakePrivateFolder(folder);
        return folder;
    }

    public void DropCheckpoint(string tenantId, string sandboxId) => TryDeleteFolder(CheckpointPath(tenantId, sandboxId) + ".tmp");

    private string RecordPath(string tenantId, string sandboxId) => Path.Combine(TenantFolder(tenantId), sandboxId + ".json");

    /// <summary>The tenant's own paused sandbox with that id, or null (also when it belongs to another tenant).</summary>
    public PausedSandbox? Find(string tenantId, string id)
    {
        lock (_gate)
        {
            return (_paused.TryGetValue(id, out var p) || _resuming.TryGetValue(id, out p)) && p.TenantId == tenantId ? p : null;
        }
    }

    public IReadOnlyList<PausedSandbox> List(string tenantId)
    {
        lock (_gate)
        {
            return _paused.Values.Where(p => p.TenantId == tenantId).OrderBy(p => p.CreatedAt).ToList();
        }
    }

    /// <summary>Every tenant's paused sandboxes, for the operator's listing.</summary>
    public IReadOnlyList<PausedSandbox> All()
    {
        lock (_gate)
        {
            return _paused.Values.ToList();
        }
    }

    /// <summary>Holds a place for a pause about to be saved; false when the tenant already keeps (or is saving) <paramref name="max"/>.</summary>
    public bool TryReserve(string tenantId, string sandboxId, int max)
    {
        lock (_gate)
        {
            var held = _paused.Values.Count(p => p.TenantId == tenantId) + _reserved.Values.Count(t => t == tenantId);
            if (held >= max)
            {
                return false;
            }
            _reserved[sandboxId] = tenantId;
            return true;
        }
    }

    public void CancelReservation(string sandboxId)
    {
        lock (_gate)
        {
            _reserved.Remove(sandboxId);
        }
    }

    /// <summary>Opens the (temporary) file the workspace is saved into: 0600, in the tenant's root-only folder.</summary>
    public FileStream CreateArchive(string tenantId, string sandboxId)
    {
        MakePrivateFolder(TenantFolder(tenantId));
        return new FileStream(ArchivePath(tenantId, sandboxId) + ".tmp", new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.ReadWrite, Options = FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    /// <summary>The saved archive and its record are on disk (archive first), and the reservation becomes the paused sandbox.</summary>
    public void Commit(PausedSandbox paused)
    {
        var archive = ArchivePath(paused.TenantId, paused.Id);
        File.Move(archive + ".tmp", archive, overwrite: true);
        if (paused.Checkpoint is { } checkpoint)
        {
            var folder = CheckpointPath(paused.TenantId, paused.Id);
            TryDeleteFolder(folder);
            Directory.Move(folder + ".tmp", folder);
            _layout.HoldForPause(checkpoint.Uid);
        }
        WriteRecord(paused);
        lock (_gate)
        {
            _reserved.Remove(paused.Id);
            _paused[paused.Id] = paused;
        }
    }

    /// <summary>A failed save leaves nothing: the temporary archive goes and the place is given back.</summary>
    public void Abandon(string tenantId, string sandboxId)
    {
        TryDelete(ArchivePath(tenantId, sandboxId) + ".tmp");
        DropCheckpoint(tenantId, sandboxId);
        CancelReservation(sandboxId);
    }

    /// <summary>Takes the paused sandbox for a resume or delete, so a second one finds nothing; null when not paused.</summary>
    public PausedSandbox? TryTake(string tenantId, string id)
    {
        lock (_gate)
        {
            if (!_paused.TryGetValue(id, out var p) || p.TenantId != tenantId)
            {
                return null;
            }
            _paused.Remove(id);
            _resuming[id] = p;
            return p;
        }
    }

    /// <summary>A resume that failed gives the paused sandbox back, as it was.</summary>
    public void PutBack(PausedSandbox paused)
    {
        lock (_gate)
        {
            _resuming.Remove(paused.Id);
            _paused[paused.Id] = paused;
        }
    }

    /// <summary>Removes the saved state of a taken paused sandbox (resumed or deleted): record first, so a crash never leaves a record without its archive.</summary>
    public void Forget(PausedSandbox paused)
    {
        lock (_gate)
        {
            _resuming.Remove(paused.Id);
        }
        TryDelete(RecordPath(paused.TenantId, paused.Id));
        TryDelete(ArchivePath(paused.TenantId, paused.Id));
        TryDeleteFolder(CheckpointPath(paused.TenantId, paused.Id));
        if (paused.Checkpoint is { } checkpoint)
        {
            _layout.ReleasePaused(checkpoint.Uid);
        }
    }

    /// <summary>Deletes every paused sandbox kept past its time; returns how many.</summary>
    public int SweepExpired(DateTimeOffset now) => Drop(p => now >= p.PausedUntil, "kept past its paused time");

    /// <summary>An offboarded tenant's paused sandboxes go with it.</summary>
    public int RemoveTenant(string tenantId)
    {
        var dropped = Drop(p => p.TenantId == tenantId, "tenant offboarded");
        var folder = TenantFolder(tenantId);
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder);
        }
        return dropped;
    }

    private int Drop(Func<PausedSandbox, bool> which, string why)
    {
        List<PausedSandbox> dropped;
        lock (_gate)
        {
            dropped = _paused.Values.Where(which).ToList();
            foreach (var p in dropped)
            {
                _paused.Remove(p.Id);
            }
        }
        foreach (var p in dropped)
        {
            Forget(p);
            _logger.LogInformation("Paused sandbox {SandboxId} of tenant {TenantId} deleted: {Why}", p.Id, p.TenantId, why);
        }
        return dropped.Count;
    }

    private void WriteRecord(PausedSandbox paused)
    {
        var path = RecordPath(paused.TenantId, paused.Id);
        using (var file = new FileStream(path + ".tmp", new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(file, paused, JsonSerializerOptions.Web);
            file.Flush(flushToDisk: true);
        }
        File.Move(path + ".tmp", path, overwrite: true);
        SyncFolder(Path.GetDirectoryName(path)!);
    }

    /// <summary>At start: every whole record with its archive is a paused sandbox; leftovers of a save cut short are removed.</summary>
    private void Load()
    {
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            foreach (var tmp in Directory.EnumerateFiles(folder, "*.tmp"))
            {
                TryDelete(tmp);
            }
            foreach (var path in Directory.EnumerateFiles(folder, "*.json"))
            {
                PausedSandbox? paused = null;
                try
                {
                    paused = JsonSerializer.Deserialize<PausedSandbox>(File.ReadAllText(path), JsonSerializerOptions.Web);
                }
                catch (JsonException e)
                {
                    _logger.LogError(e, "Paused-sandbox record {Path} is unreadable; set aside", path);
                    File.Move(path, path + ".unreadable", overwrite: true);
                }
                if (paused is null)
                {
                    continue;
                }
                if (TenantFolder(paused.TenantId) != folder || !File.Exists(ArchivePath(paused.TenantId, paused.Id)))
                {
                    _logger.LogError("Paused sandbox {SandboxId} has no saved workspace where it should; its record is removed", paused.Id);
                    TryDelete(path);
                    continue;
                }
                _paused[paused.Id] = paused;
                if (paused.Checkpoint is { } checkpoint)
                {
                    _layout.HoldForPause(checkpoint.Uid); // before any slot is made: no warm slot may take the uid its processes run as
                }
            }
            foreach (var left in Directory.EnumerateDirectories(folder, "*.checkpoint*")
                         .Where(d => d.EndsWith(".tmp", StringComparison.Ordinal) || !_paused.ContainsKey(Path.GetFileNameWithoutExtension(d))))
            {
                TryDeleteFolder(left); // a checkpoint cut short, or one whose record was never written
            }
            foreach (var tar in Directory.EnumerateFiles(folder, "*.tar").Where(t => !_paused.ContainsKey(Path.GetFileNameWithoutExtension(t))))
            {
                TryDelete(tar); // a save whose record was never written: the sandbox was never reported paused
            }
        }
        if (_paused.Count > 0)
        {
            _logger.LogInformation("{Count} paused sandboxes kept from before the restart", _paused.Count);
        }
    }

    private static void MakePrivateFolder(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, Private);
    }

    private static void SyncFolder(string folder)
    {
        var fd = Libc.Open(folder, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"Opening {folder} failed with errno {Libc.LastError}");
        }
        try
        {
            if (Libc.Fsync(fd) != 0)
            {
                throw new IOException($"Flushing {folder} failed with errno {Libc.LastError}");
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
