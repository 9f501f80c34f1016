using System.Formats.Tar;
using AgentCloud.SandboxBroker.Native;
using static AgentCloud.SandboxBroker.Files.WorkspaceFiles;

namespace AgentCloud.SandboxBroker.Files;

/// <summary>
/// A workspace folder as a tar archive: walked by descriptor, symlinks archived as links (never followed), and what
/// the file API would not serve (devices, FIFOs, sockets, files of another owner or with several links) left out.
/// </summary>
public static class WorkspaceArchiveDownload
{
    private sealed record Planned(string Name, TarEntryType Type, Libc.StatInfo Stat, string? LinkTarget);

    /// <summary>
    /// Plans the archive first (so a folder over the limits is a 413 before any byte is sent), then answers the writer that sends it to a stream.
    /// Names in the archive are relative to the folder, so uploading it elsewhere recreates it.
    /// </summary>
    public static Func<Stream, CancellationToken, Task> Plan(string workspace, string? folder, ArchiveLimits limits, int ownerUid)
    {
        var prefix = WorkspaceDirectories.IsWorkspace(folder) ? "" : string.Join('/', WorkspacePath.Split(folder)) + "/";
        var plan = new List<Planned>();
        long bytes = 0;
        using (var root = OpenRoot(workspace))
        using (var top = WorkspaceDirectories.OpenFolder(root, folder))
        {
            Walk(top.Fd, "", 0, plan, ref bytes, limits, ownerUid, folder ?? "/");
        }
        return async (output, cancellationToken) =>
        {
            await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var item in plan)
            {
                var entry = new PaxTarEntry(item.Type, item.Type == TarEntryType.Directory ? item.Name + "/" : item.Name)
                {
                    Mode = (UnixFileMode)(item.Stat.Mode & 0b111_111_111),
                    ModificationTime = item.Stat.Modified,
                };
                if (item.Type == TarEntryType.SymbolicLink)
                {
                    entry.LinkName = item.LinkTarget!;
                }
                else if (item.Type == TarEntryType.RegularFile)
                {
                    byte[] content;
                    try
                    {
                        content = await ReadAsync(workspace, prefix + item.Name, limits.MaxBytes, ownerUid, cancellationToken);
                    }
                    catch (Exception e) when (e is WorkspacePathException or WorkspaceFileNotFoundException or WorkspaceFileTooLargeException)
                    {
                        continue; // changed by the sandbox since the plan: left out, as it would have been then
                    }
                    entry.DataStream = new MemoryStream(content);
                }
                await writer.WriteEntryAsync(entry, cancellationToken);
            }
        };
    }

    private static void Walk(int folderFd, string prefix, int depth, List<Planned> plan, ref long bytes, ArchiveLimits limits, int ownerUid, string path)
    {
        if (depth >= WorkspaceDirectories.MaxDepth)
        {
            throw new WorkspacePathException($"'{path}' nests deeper than {WorkspaceDirectories.MaxDepth} folders; archive a deeper folder instead.");
        }
        foreach (var name in WorkspaceDirectories.Names(folderFd).Order(StringComparer.Ordinal))
        {
            if (Libc.StatAt(folderFd, name, Libc.AT_SYMLINK_NOFOLLOW) is not { } stat)
            {
                continue;
            }
            var relative = prefix + name;
            if (stat.IsDirectory)
            {
                Add(plan, new Planned(relative, TarEntryType.Directory, stat, null), limits);
                using var child = WorkspaceDirectories.OpenChild(folderFd, name, path);
                Walk(child.Fd, relative + "/", depth + 1, plan, ref bytes, limits, ownerUid, path);
            }
            else if (stat.IsSymlink && Libc.ReadLink(folderFd, name) is { } target)
            {
                Add(plan, new Planned(relative, TarEntryType.SymbolicLink, stat, target), limits);
            }
            else if (stat.IsRegular && (!Isolation.LaunchPrefix.BrokerIsRoot || (stat.Uid == ownerUid && stat.Links == 1)))
            {
                bytes += stat.Size;
                if (bytes > limits.MaxBytes)
                {
                    throw new WorkspaceFileTooLargeException($"'{path}' holds more than {limits.MaxBytes} bytes of files; downloads are limited to that. Archive a smaller folder.");
                }
                Add(plan, new Planned(relative, TarEntryType.RegularFile, stat, null), limits);
            }
        }
    }

    private static void Add(List<Planned> plan, Planned item, ArchiveLimits limits)
    {
        if (plan.Count >= limits.MaxEntries)
        {
            throw new WorkspaceFileTooLargeException($"The folder has more than {limits.MaxEntries} entries, the most one archive may hold. Archive a smaller folder.");
        }
        plan.Add(item);
    }
}
