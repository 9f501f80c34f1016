using System.Formats.Tar;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// <c>sandbox cp -r</c>: a folder up as a tar archive the broker unpacks into the workspace, or a workspace folder down as
/// the archive the broker makes. Unpacking here writes only folders and regular files inside the destination: the
/// archive comes from code that ran in the sandbox, so a link in it (which could lead a later entry out of the
/// destination) is skipped and counted, never made.
/// </summary>
internal static class SandboxFolderCopy
{
    public static async Task<string> UploadAsync(GatewayClient gateway, string localFolder, SandboxCommands.RemotePath into, CancellationToken ct)
    {
        if (!Directory.Exists(localFolder))
        {
            throw new CliUsageException($"No local folder '{localFolder}'.");
        }
        using var archive = new MemoryStream();
        await TarFile.CreateFromDirectoryAsync(localFolder, archive, includeBaseDirectory: false, ct);
        var answer = await gateway.PutBytesAsync(into.ArchivePath, archive.ToArray(), ct);
        return $"{answer?["entries"]} entries, {answer?["bytes"]} bytes";
    }

    public static async Task<string> DownloadAsync(GatewayClient gateway, SandboxCommands.RemotePath from, string localFolder, CancellationToken ct)
    {
        var root = Path.GetFullPath(Directory.CreateDirectory(localFolder).FullName);
        using var archive = new MemoryStream(await gateway.GetBytesAsync(from.ArchivePath, ct));
        using var reader = new TarReader(archive);
        var (written, skipped) = (0, 0);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            var target = Path.GetFullPath(Path.Combine(root, entry.Name.TrimStart('/')));
            var inside = target == root || target.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            if (!inside)
            {
                skipped++;
            }
            else if (entry.EntryType == TarEntryType.Directory)
            {
                Directory.CreateDirectory(target);
            }
            else if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await entry.ExtractToFileAsync(target, overwrite: true, ct);
                written++;
            }
            else
            {
                skipped++;
            }
        }
        return skipped == 0 ? $"{written} files" : $"{written} files ({skipped} links or special entries skipped)";
    }
}
