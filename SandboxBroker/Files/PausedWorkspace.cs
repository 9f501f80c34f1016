using System.Formats.Tar;
using AgentCloud.SandboxBroker.Native;
using static AgentCloud.SandboxBroker.Files.WorkspaceFiles;

namespace AgentCloud.SandboxBroker.Files;

/// <summary>What a restore wrote, and how many entries it refused to write (they could not have come from a pause).</summary>
public sealed record WorkspaceRestored(int Entries, int Refused);

/// <summary>
/// A whole workspace saved for a pause and written back at resume. Saving is the archive download of the workspace
/// (walked by descriptor, symlinks kept as links, devices, FIFOs, sockets and files of another owner or with several
/// links left out), modes kept. Restoring writes only files, folders and symlinks with plain relative names, each
/// through <see cref="WorkspaceFiles"/> beneath the new workspace, never following a link; symlinks are written back as
/// they were (pointing anywhere is harmless: nothing follows them here); any other entry is refused and counted.
/// </summary>
public static class PausedWorkspace
{
    private const UnixFileMode Permissions = (UnixFileMode)0b111_111_111;

    /// <summary>Checks the limits first (over them: <see cref="WorkspaceFileTooLargeException"/>, nothing written), then writes the archive.</summary>
    public static Func<Stream, CancellationToken, Task> PlanSave(string workspace, ArchiveLimits limits, int ownerUid) =>
        WorkspaceArchiveDownload.Plan(workspace, folder: null, limits, ownerUid);

    public static async Task<WorkspaceRestored> RestoreAsync(string workspace, Stream archive, ArchiveLimits limits, int ownerUid, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(archive, leaveOpen: true);
        var folders = new List<(string Name, UnixFileMode Mode)>();
        int restored = 0, refused = 0, count = 0;
        long bytes = 0;
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (++count > limits.MaxEntries)
            {
                throw new WorkspaceFileTooLargeException($"The saved workspace has more than {limits.MaxEntries} entries.");
            }
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes || Name(entry.Name) is not { } name)
            {
                continue;
            }
            try
            {
                WorkspacePath.Split(name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        WorkspaceDirectories.Make(workspace, name, ownerUid);
                        folders.Add((name, entry.Mode));
                        break;
                    case TarEntryType.SymbolicLink when !string.IsNullOrEmpty(entry.LinkName) && !entry.LinkName.Contains('\0'):
                        WorkspaceArchive.MakeSymlink(workspace, name, entry.LinkName, ownerUid);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        bytes += entry.Length;
                        if (bytes > limits.MaxBytes)
                        {
                            throw new WorkspaceFileTooLargeException($"The saved workspace holds more than {limits.MaxBytes} bytes of files.");
                        }
                        await WriteAsync(workspace, name, entry.DataStream ?? Stream.Null, limits.MaxBytes, ownerUid, cancellationToken);
                        SetMode(workspace, name, entry.Mode, folder: false);
                        break;
                    default:
                        refused++;
                        continue;
                }
                restored++;
            }
            catch (WorkspacePathException)
            {
                refused++; // a name or link that would lead outside the workspace: never written
            }
        }
        // Deepest last-made first, so a folder without write permission is closed only once its entries are in.
        foreach (var (name, mode) in Enumerable.Reverse(folders))
        {
            SetMode(workspace, name, mode, folder: true);
        }
        return new WorkspaceRestored(restored, refused);
    }

    /// <summary>Sets permission bits (never set-id or sticky) through a descriptor opened beneath the workspace without following a link.</summary>
    private static void SetMode(string workspace, string name, UnixFileMode mode, bool folder)
    {
        using var root = OpenRoot(workspace);
        var flags = Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | (folder ? Libc.O_DIRECTORY : 0);
        var fd = Libc.OpenAt2(root.Fd, name, flags, 0, Beneath);
        if (fd >= 0)
        {
            Libc.FChmod(fd, (uint)(mode & Permissions));
            Libc.Close(fd);
        }
    }

    /// <summary>The entry's name without leading "./" and trailing "/"; null for the workspace itself.</summary>
    private static string? Name(string raw)
    {
        var name = raw;
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }
        name = name.TrimEnd('/');
        return name is "" or "." ? null : name;
    }
}
