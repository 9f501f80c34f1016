using System.Formats.Tar;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Builds tar archives in memory, including the hostile entries a tenant could send.</summary>
public sealed class TarBuilder
{
    private readonly MemoryStream _buffer = new();
    private readonly TarWriter _writer;

    public TarBuilder() => _writer = new TarWriter(_buffer, TarEntryFormat.Pax, leaveOpen: true);

    public TarBuilder Folder(string name) => Add(new PaxTarEntry(TarEntryType.Directory, name));

    public TarBuilder File(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = mode });

    public TarBuilder Symlink(string name, string target) => Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public TarBuilder HardLink(string name, string target) => Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public TarBuilder Special(TarEntryType type, string name) => Add(new PaxTarEntry(type, name));

    private TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public ByteArrayContent Build()
    {
        _writer.Dispose();
        var content = new ByteArrayContent(_buffer.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        return content;
    }

    /// <summary>The entries of a downloaded archive: name, type, link target and text content.</summary>
    public static async Task<List<(string Name, TarEntryType Type, string LinkName, string Content)>> ReadAsync(HttpResponseMessage response)
    {
        var entries = new List<(string, TarEntryType, string, string)>();
        await using var reader = new TarReader(await response.Content.ReadAsStreamAsync());
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var content = entry.DataStream is { } data ? await new StreamReader(data).ReadToEndAsync() : "";
            entries.Add((entry.Name, entry.EntryType, entry.LinkName, content));
        }
        return entries;
    }
}
