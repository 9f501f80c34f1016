using System.Formats.Tar;

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
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes || WorkspaceArchive.Name(entry) is not { } name)
            {
                continue;
            }
            if ((entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile) && (bytes += entry.Length) > limits.MaxBytes)
            {
                throw new WorkspaceFileTooLargeException($"The saved workspace holds more than {limits.MaxBytes} bytes of files.");
            }
            try
            {
                WorkspacePath.Split(name);
                var written = entry.EntryType is TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.V7RegularFile
                    || (entry.EntryType is TarEntryType.SymbolicLink && !string.IsNullOrEmpty(entry.LinkName) && !entry.LinkName.Contains('\0'));
                if (!written || !await WorkspaceArchive.WriteEntryAsync(workspace, name, entry, limits.MaxBytes, ownerUid, cancellationToken))
                {
                    refused++;
                    continue;
                }
                if (entry.EntryType is TarEntryType.Directory)
                {
                    folders.Add((name, entry.Mode));
                }
                else if (entry.EntryType is not TarEntryType.SymbolicLink)
                {
                    WorkspaceArchive.SetPermissions(workspace, name, entry.Mode, folder: false);
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
            WorkspaceArchive.SetPermissions(workspace, name, mode, folder: true);
        }
        return new WorkspaceRestored(restored, refused);
    }
}
