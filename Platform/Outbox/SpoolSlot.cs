namespace AgentCloud.Platform.Outbox;

/// <summary>
/// One process's own spool folder under the configured spool root. Replicas that share a root (two copies on one host)
/// each claim a folder <c>replica-N</c> by holding an exclusive lock (flock) on its <c>owner.lock</c> for as long as they
/// run. The OS drops the lock when the process ends, however it ends, so a folder whose lock can be taken belongs to no
/// running process: its spool is taken over by whichever replica gets the lock first, and sent by that one only.
/// </summary>
public sealed class SpoolSlot : IDisposable
{
    public const string SpoolFileName = "spool.jsonl";
    public const string LockFileName = "owner.lock";
    public const string FolderPrefix = "replica-";
    private const int MaxSlots = 256;

    private readonly FileStream _lock;

    private SpoolSlot(string folder, FileStream held)
    {
        Folder = folder;
        _lock = held;
    }

    public string Folder { get; }

    public string SpoolPath => Path.Combine(Folder, SpoolFileName);

    /// <summary>The lowest-numbered folder no running process holds (a restarted replica usually gets its old one back).</summary>
    public static SpoolSlot Claim(string root)
    {
        CreatePrivateFolder(root);
        for (var i = 0; i < MaxSlots; i++)
        {
            var folder = Path.Combine(root, FolderPrefix + i);
            CreatePrivateFolder(folder);
            if (TryLock(folder) is { } held)
            {
                return new SpoolSlot(folder, held);
            }
        }
        throw new IOException($"All {MaxSlots} spool folders under {root} are held by running processes; give this process its own Outbox:SpoolDirectory.");
    }

    /// <summary>
    /// Folders whose spool may have no owner: the root itself (where a spool was kept before replicas had folders of
    /// their own) and every other replica's folder.
    /// </summary>
    public IEnumerable<string> OthersUnder(string root) =>
        new[] { root }.Concat(Directory.Exists(root) ? Directory.EnumerateDirectories(root, FolderPrefix + "*") : [])
            .Where(folder => !string.Equals(Path.GetFullPath(folder), Path.GetFullPath(Folder), StringComparison.Ordinal));

    /// <summary>
    /// If no running process holds <paramref name="folder"/>, hands its spooled lines to <paramref name="adopt"/> (which
    /// must keep them durably before returning) and deletes them there, all under the folder's lock. Returns the count.
    /// </summary>
    public static int TakeOver(string folder, Action<IReadOnlyList<string>> adopt)
    {
        var spool = Path.Combine(folder, SpoolFileName);
        if (!File.Exists(spool))
        {
            return 0;
        }
        using var held = TryLock(folder);
        if (held is null || !File.Exists(spool))
        {
            return 0; // its owner runs, or another replica took it over first
        }
        var lines = File.ReadAllLines(spool).Where(l => l.Length > 0).ToList();
        if (lines.Count > 0)
        {
            adopt(lines);
        }
        File.Delete(spool);
        File.Delete(spool + ".next"); // a rewrite its owner did not finish: the spool itself still had every line
        return lines.Count;
    }

    private static FileStream? TryLock(string folder)
    {
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix: refused while another open holds it.
            return new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // held by a running process, or a lock file this process may not open: not ours to claim
        }
    }

    private static void CreatePrivateFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => _lock.Dispose();
}
