using System.Text.Json;
using AgentCloud.SandboxBroker.Native;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Leases;

/// <summary>
/// The broker's durable memory of its live leases: one root-only file per lease under <c>&lt;Root&gt;/leases</c>,
/// written to a temporary name, fsync'd, renamed and the folder fsync'd, so a record is either whole on disk or absent
/// even when the process (or the machine) dies mid-write. Whatever is here at start was live when the broker died.
/// </summary>
public sealed class LeaseJournal
{
    private const string Suffix = ".lease.json";

    public LeaseJournal(IOptions<SandboxBrokerOptions> options)
    {
        Directory = Path.Combine(Path.GetFullPath(options.Value.Root), "leases");
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Directory { get; }

    /// <summary>Records (or rewrites) a live lease; returns once the record is on disk.</summary>
    public void Record(LeaseRecord lease)
    {
        var path = PathOf(lease.SandboxId);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            JsonSerializer.Serialize(file, lease, JsonSerializerOptions.Web);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        SyncDirectory();
    }

    /// <summary>The lease ended and its end is billed and announced: nothing is left to recover.</summary>
    public void Forget(string sandboxId)
    {
        File.Delete(PathOf(sandboxId));
        SyncDirectory();
    }

    /// <summary>Every recorded lease; a record that cannot be read (never whole, so never acted on) is set aside.</summary>
    public IReadOnlyList<LeaseRecord> Read()
    {
        var leases = new List<LeaseRecord>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Suffix))
        {
            try
            {
                if (JsonSerializer.Deserialize<LeaseRecord>(File.ReadAllText(path), JsonSerializerOptions.Web) is { } lease)
                {
                    leases.Add(lease);
                }
            }
            catch (JsonException)
            {
                File.Move(path, path + ".unreadable", overwrite: true);
            }
        }
        return leases;
    }

    private string PathOf(string sandboxId) => Path.Combine(Directory, sandboxId + Suffix);

    /// <summary>A rename or unlink is durable only once the folder holding it is flushed.</summary>
    private void SyncDirectory()
    {
        var fd = Libc.Open(Directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"Opening the lease journal {Directory} failed with errno {Libc.LastError}");
        }
        try
        {
            if (Libc.Fsync(fd) != 0)
            {
                throw new IOException($"Flushing the lease journal {Directory} failed with errno {Libc.LastError}");
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
