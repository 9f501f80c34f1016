using AgentCloud.SandboxBroker.Native;
using static AgentCloud.SandboxBroker.Files.WorkspaceFiles;

namespace AgentCloud.SandboxBroker.Files;

/// <summary>A folder that is not empty was to be deleted without <c>recursive</c>.</summary>
public sealed class WorkspaceFolderNotEmptyException(string message) : Exception(message);

/// <summary>One name in the workspace as the API shows it: <c>type</c> is file, directory, symlink or other.</summary>
public sealed record WorkspaceEntry(string Name, string Type, long Size, DateTimeOffset Modified)
{
    internal static WorkspaceEntry Of(string name, Libc.StatInfo stat) => new(name,
        stat.IsRegular ? "file" : stat.IsDirectory ? "directory" : stat.IsSymlink ? "symlink" : "other",
        stat.IsRegular || stat.IsSymlink ? stat.Size : 0, stat.Modified);
}

/// <summary>
/// Folder operations in a sandbox workspace with the same guarantee as <see cref="WorkspaceFiles"/>: the folder is
/// opened with openat2 beneath the workspace, and everything after that is relative to its descriptor, one name at a
/// time and never following a symlink, so no <c>..</c>, symlink or swap mid-walk takes an operation outside.
/// </summary>
public static class WorkspaceDirectories
{
    /// <summary>How deep a recursive delete or archive walks; deeper trees are refused rather than risked.</summary>
    public const int MaxDepth = 128;

    /// <summary>The empty path (or none) names the workspace itself.</summary>
    public static bool IsWorkspace(string? path) => string.IsNullOrEmpty(path) || path == "/";

    public static WorkspaceEntry Stat(string workspace, string? path)
    {
        using var root = OpenRoot(workspace);
        if (IsWorkspace(path))
        {
            return WorkspaceEntry.Of("", Libc.StatAt(root.Fd, "", Libc.AT_EMPTY_PATH) ?? throw Failure(Libc.LastError, "/"));
        }
        var segments = WorkspacePath.Split(path);
        using var parent = OpenParent(root, segments, path!);
        return WorkspaceEntry.Of(segments[^1], Libc.StatAt(parent?.Fd ?? root.Fd, segments[^1], Libc.AT_SYMLINK_NOFOLLOW) ?? throw Failure(Libc.LastError, path!));
    }

    /// <summary>The folder's entries in name order, at most <paramref name="max"/> of them (<c>Truncated</c> when there were more).</summary>
    public static (IReadOnlyList<WorkspaceEntry> Entries, bool Truncated) List(string workspace, string? path, int max)
    {
        using var root = OpenRoot(workspace);
        using var folder = OpenFolder(root, path);
        var entries = new List<WorkspaceEntry>();
        var truncated = false;
        foreach (var name in Names(folder.Fd).Order(StringComparer.Ordinal))
        {
            if (entries.Count == max)
            {
                truncated = true;
                break;
            }
            // A name removed since the folder was read is simply not listed.
            if (Libc.StatAt(folder.Fd, name, Libc.AT_SYMLINK_NOFOLLOW) is { } stat)
            {
                entries.Add(WorkspaceEntry.Of(name, stat));
            }
        }
        return (entries, truncated);
    }

    /// <summary>mkdir -p beneath the workspace, each new folder the sandbox's; true when the last one was made now.</summary>
    public static bool Make(string workspace, string path, int ownerUid)
    {
        var segments = WorkspacePath.Split(path);
        using var root = OpenRoot(workspace);
        var made = false;
        for (var i = 0; i < segments.Length; i++)
        {
            using var parent = i == 0 ? null : OpenDir(root.Fd, string.Join('/', segments[..i]), path);
            var at = parent?.Fd ?? root.Fd;
            made = Libc.MkdirAt(at, segments[i], 0b111_101_101) == 0;
            if (made)
            {
                Libc.FChownAt(at, segments[i], ownerUid, ownerUid, Libc.AT_SYMLINK_NOFOLLOW);
            }
            else if (Libc.LastError != Libc.EEXIST)
            {
                throw Failure(Libc.LastError, path);
            }
            else if (Libc.StatAt(at, segments[i], Libc.AT_SYMLINK_NOFOLLOW) is not { IsDirectory: true })
            {
                throw new WorkspacePathException($"'{string.Join('/', segments[..(i + 1)])}' exists and is not a folder.");
            }
        }
        return made;
    }

    /// <summary>Deletes a file, symlink (never what it points to) or folder; a folder with entries only when <paramref name="recursive"/>.</summary>
    public static void Delete(string workspace, string path, bool recursive)
    {
        if (IsWorkspace(path))
        {
            throw new WorkspacePathException("The workspace itself cannot be deleted; delete what is in it, or the sandbox.");
        }
        var segments = WorkspacePath.Split(path);
        using var root = OpenRoot(workspace);
        using var parent = OpenParent(root, segments, path);
        Remove(parent?.Fd ?? root.Fd, segments[^1], recursive, path, 0);
    }

    private static void Remove(int at, string name, bool recursive, string path, int depth)
    {
        if (Libc.UnlinkAt(at, name, 0) == 0)
        {
            return;
        }
        if (Libc.LastError != Libc.EISDIR)
        {
            throw Failure(Libc.LastError, path);
        }
        if (Libc.UnlinkAt(at, name, Libc.AT_REMOVEDIR) == 0)
        {
            return;
        }
        if (Libc.LastError is not (Libc.ENOTEMPTY or Libc.EEXIST))
        {
            throw Failure(Libc.LastError, path);
        }
        if (!recursive)
        {
            throw new WorkspaceFolderNotEmptyException($"'{path}' is a folder with entries; delete it with recursive=true.");
        }
        if (depth >= MaxDepth)
        {
            throw new WorkspacePathException($"'{path}' nests deeper than {MaxDepth} folders; delete its deepest folders first.");
        }
        using (var folder = OpenChild(at, name, path))
        {
            foreach (var child in Names(folder.Fd))
            {
                Remove(folder.Fd, child, recursive: true, path, depth + 1);
            }
        }
        if (Libc.UnlinkAt(at, name, Libc.AT_REMOVEDIR) != 0)
        {
            throw Failure(Libc.LastError, path);
        }
    }

    /// <summary>The folder a path names (the workspace for none), opened beneath the workspace.</summary>
    internal static Descriptor OpenFolder(Descriptor root, string? path)
    {
        if (IsWorkspace(path))
        {
            var fd = Libc.OpenAt2(root.Fd, ".", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0, Beneath);
            return fd >= 0 ? new Descriptor(fd) : throw Failure(Libc.LastError, "/");
        }
        var segments = WorkspacePath.Split(path);
        var opened = Libc.OpenAt2(root.Fd, string.Join('/', segments), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, Beneath);
        return opened >= 0 ? new Descriptor(opened) : throw FolderFailure(Libc.LastError, path!);
    }

    /// <summary>A folder entry of an open folder, never through a symlink (which fails instead).</summary>
    internal static Descriptor OpenChild(int at, string name, string path)
    {
        var fd = Libc.OpenAt2(at, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, Beneath);
        return fd >= 0 ? new Descriptor(fd) : throw FolderFailure(Libc.LastError, path);
    }

    /// <summary>The names in an open folder. Listed through its /proc descriptor link, which leads to that very folder and nowhere else.</summary>
    internal static List<string> Names(int folderFd) =>
        new System.IO.Enumeration.FileSystemEnumerable<string>($"/proc/self/fd/{folderFd}", (ref System.IO.Enumeration.FileSystemEntry e) => e.FileName.ToString(),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false }).ToList();

    private static Descriptor? OpenParent(Descriptor root, string[] segments, string path) =>
        segments.Length == 1 ? null : OpenDir(root.Fd, string.Join('/', segments[..^1]), path);

    private static Exception FolderFailure(int errno, string path) =>
        errno == Libc.ENOTDIR ? new WorkspacePathException($"'{path}' is not a folder.") : Failure(errno, path);
}
