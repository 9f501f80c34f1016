using System.Formats.Tar;
using AgentCloud.SandboxBroker.Native;
using static AgentCloud.SandboxBroker.Files.WorkspaceFiles;

namespace AgentCloud.SandboxBroker.Files;

/// <summary>What an archive upload unpacked.</summary>
public sealed record ArchiveExtracted(int Entries, long Bytes);

/// <summary>Limits of one archive upload or download.</summary>
public sealed record ArchiveLimits(long MaxBytes, int MaxEntries);

/// <summary>
/// Folders in and out of a workspace as tar archives. An upload is checked whole before anything is written: every
/// entry must be a file, folder or symlink with a plain relative name (no absolute path, no <c>..</c>), a symlink must
/// point inside the folder it is unpacked into, a hard link must name an earlier file of the archive (it is unpacked as
/// a copy, so every file stays single-linked as the file API requires), devices and FIFOs are refused, and file bytes
/// and entry count are capped. Then each entry is written through <see cref="WorkspaceFiles"/>, beneath the workspace.
/// A download walks the folder by descriptor, archives symlinks as links (never following one) and leaves out what the
/// file API would not serve (devices, FIFOs, sockets, files of another owner or with several links).
/// </summary>
public static class WorkspaceArchive
{
    public static async Task<ArchiveExtracted> ExtractAsync(
        string workspace, string? folder, Stream archive, ArchiveLimits limits, int ownerUid, CancellationToken cancellationToken)
    {
        var into = WorkspaceDirectories.IsWorkspace(folder) ? "" : string.Join('/', WorkspacePath.Split(folder));
        var checkedArchive = await CheckAsync(archive, limits, cancellationToken);
        archive.Position = 0;
        if (into.Length > 0)
        {
            WorkspaceDirectories.Make(workspace, into, ownerUid);
        }
        await using var reader = new TarReader(archive, leaveOpen: true);
        var entries = 0;
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (Name(entry) is not { } name)
            {
                continue;
            }
            var target = into.Length == 0 ? name : $"{into}/{name}";
            if (entry.EntryType == TarEntryType.HardLink)
            {
                var source = into.Length == 0 ? Name(entry.LinkName)! : $"{into}/{Name(entry.LinkName)}";
                var bytes = await ReadAsync(workspace, source, limits.MaxBytes, ownerUid, cancellationToken);
                await WriteAsync(workspace, target, new MemoryStream(bytes), limits.MaxBytes, ownerUid, cancellationToken);
            }
            else if (await WriteEntryAsync(workspace, target, entry, limits.MaxBytes, ownerUid, cancellationToken) && entry.EntryType != TarEntryType.Directory
                     && (entry.Mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                SetPermissions(workspace, target, (UnixFileMode)0b111_101_101, folder: false);
            }
            entries++;
        }
        return new ArchiveExtracted(entries, checkedArchive);
    }

    /// <summary>The first pass: refuses the whole archive on its first bad entry; answers the file bytes it will write.</summary>
    private static async Task<long> CheckAsync(Stream archive, ArchiveLimits limits, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(archive, leaveOpen: true);
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        long bytes = 0;
        var count = 0;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (++count > limits.MaxEntries)
                {
                    throw new WorkspaceFileTooLargeException($"The archive has more than {limits.MaxEntries} entries, the most one upload may have.");
                }
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }
                if (entry.Name.StartsWith('/'))
                {
                    throw Refused(entry, "has an absolute path; entries must be relative to the folder they unpack into");
                }
                if (Name(entry) is not { } name)
                {
                    continue;
                }
                CheckName(entry, name);
                switch (entry.EntryType)
                {
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        bytes += entry.Length;
                        files[name] = entry.Length;
                        break;
                    case TarEntryType.Directory:
                        break;
                    case TarEntryType.SymbolicLink:
                        CheckSymlink(entry, name);
                        files.Remove(name);
                        break;
                    case TarEntryType.HardLink:
                        if (Name(entry.LinkName) is not { } source || !files.TryGetValue(source, out var size))
                        {
                            throw Refused(entry, $"is a hard link to '{entry.LinkName}', which is not an earlier file of this archive");
                        }
                        bytes += size;
                        files[name] = size;
                        break;
                    default:
                        throw Refused(entry, $"is a {entry.EntryType}; only files, folders and symlinks can be unpacked");
                }
                if (bytes > limits.MaxBytes)
                {
                    throw new WorkspaceFileTooLargeException($"The archive holds more than {limits.MaxBytes} bytes of files, the most one upload may unpack.");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new WorkspacePathException($"The body is not a readable tar archive ({e.Message}); send a POSIX, GNU or PAX tar.");
        }
        return bytes;
    }

    private static void CheckName(TarEntry entry, string name)
    {
        try
        {
            WorkspacePath.Split(name);
        }
        catch (WorkspacePathException e)
        {
            throw Refused(entry, e.Message);
        }
    }

    /// <summary>Resolved by name alone from the link's own folder, a symlink's target must stay inside the folder the archive unpacks into.</summary>
    private static void CheckSymlink(TarEntry entry, string name)
    {
        var target = entry.LinkName;
        if (string.IsNullOrEmpty(target) || target.StartsWith('/') || target.Contains('\0'))
        {
            throw Refused(entry, $"is a symlink to '{target}'; a symlink must point to a relative path inside the folder it unpacks into");
        }
        var depth = name.Split('/').Length - 1;
        foreach (var part in target.Split('/'))
        {
            depth += part switch { "" or "." => 0, ".." => -1, _ => 1 };
            if (depth < 0)
            {
                throw Refused(entry, $"is a symlink to '{target}', which leaves the folder it unpacks into");
            }
        }
    }

    /// <summary>
    /// Writes one folder, symlink or file entry at <paramref name="target"/> beneath the workspace (an upload and a
    /// resume alike); false, writing nothing, for any other kind of entry.
    /// </summary>
    internal static async Task<bool> WriteEntryAsync(string workspace, string target, TarEntry entry, long maxBytes, int ownerUid, CancellationToken cancellationToken)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                WorkspaceDirectories.Make(workspace, target, ownerUid);
                return true;
            case TarEntryType.SymbolicLink:
                MakeSymlink(workspace, target, entry.LinkName, ownerUid);
                return true;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await WriteAsync(workspace, target, entry.DataStream ?? Stream.Null, maxBytes, ownerUid, cancellationToken);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The entry's name without leading "./" and trailing "/"; null for the folder itself.</summary>
    internal static string? Name(TarEntry entry) => Name(entry.Name);

    internal static string? Name(string? raw)
    {
        var name = raw ?? "";
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }
        name = name.TrimEnd('/');
        return name is "" or "." ? null : name;
    }

    private static WorkspacePathException Refused(TarEntry entry, string why) => new($"Archive entry '{entry.Name}' {why}; nothing was unpacked.");

    internal static void MakeSymlink(string workspace, string path, string target, int ownerUid)
    {
        var segments = WorkspacePath.Split(path);
        if (segments.Length > 1)
        {
            WorkspaceDirectories.Make(workspace, string.Join('/', segments[..^1]), ownerUid);
        }
        using var root = OpenRoot(workspace);
        using var parent = segments.Length == 1 ? null : OpenDir(root.Fd, string.Join('/', segments[..^1]), path);
        var at = parent?.Fd ?? root.Fd;
        if (Libc.SymlinkAt(target, at, segments[^1]) != 0)
        {
            // An existing file or link of that name is replaced, as tar does; a folder is not.
            if (Libc.LastError != Libc.EEXIST || Libc.UnlinkAt(at, segments[^1], 0) != 0 || Libc.SymlinkAt(target, at, segments[^1]) != 0)
            {
                throw Failure(Libc.LastError, path);
            }
        }
        Libc.FChownAt(at, segments[^1], ownerUid, ownerUid, Libc.AT_SYMLINK_NOFOLLOW);
    }

    /// <summary>Sets permission bits (never set-id or sticky) through a descriptor opened beneath the workspace without following a link.</summary>
    internal static void SetPermissions(string workspace, string path, UnixFileMode mode, bool folder)
    {
        using var root = OpenRoot(workspace);
        var flags = Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | (folder ? Libc.O_DIRECTORY : 0);
        var fd = Libc.OpenAt2(root.Fd, path, flags, 0, Beneath);
        if (fd >= 0)
        {
            Libc.FChmod(fd, (uint)(mode & (UnixFileMode)0b111_111_111));
            Libc.Close(fd);
        }
    }
}
