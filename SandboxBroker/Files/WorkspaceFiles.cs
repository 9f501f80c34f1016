using AgentCloud.SandboxBroker.Native;
using Microsoft.Win32.SafeHandles;

namespace AgentCloud.SandboxBroker.Files;

/// <summary>Not found inside the workspace.</summary>
public sealed class WorkspaceFileNotFoundException(string message) : Exception(message);

/// <summary>Larger than the limit allows.</summary>
public sealed class WorkspaceFileTooLargeException(string message) : Exception(message);

/// <summary>The sandbox's workspace filesystem is full (its size limit is reached).</summary>
public sealed class WorkspaceFullException(string message) : Exception(message);

/// <summary>
/// Reads and writes files in a sandbox workspace. Every open goes through openat2 relative to a descriptor
/// of the workspace with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so the kernel refuses any resolution
/// (<c>..</c>, absolute or escaping symlinks, /proc magic links) that would leave it, at the moment of the open:
/// there is no window between a check and the open for a symlink swap.
/// </summary>
public static class WorkspaceFiles
{
    internal const ulong Beneath = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS;

    public static async Task<byte[]> ReadAsync(string workspace, string path, long maxBytes, int ownerUid, CancellationToken cancellationToken)
    {
        var segments = WorkspacePath.Split(path);
        using var root = OpenRoot(workspace);
        var fd = Libc.OpenAt2(root.Fd, string.Join('/', segments), Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, Beneath);
        if (fd < 0)
        {
            throw Failure(Libc.LastError, path);
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var length = CheckOwnFile(handle, path, ownerUid);
        if (length > maxBytes)
        {
            throw new WorkspaceFileTooLargeException($"'{path}' is {length} bytes; downloads are limited to {maxBytes} bytes.");
        }
        var buffer = new byte[length];
        var total = 0;
        while (total < length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(total), total, cancellationToken);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total == buffer.Length ? buffer : buffer[..total];
    }

    /// <summary>Writes <paramref name="content"/> to the path, creating parent folders beneath the workspace, owned by the sandbox's uid.</summary>
    public static async Task WriteAsync(string workspace, string path, Stream content, long maxBytes, int ownerUid, CancellationToken cancellationToken)
    {
        var segments = WorkspacePath.Split(path);
        using var root = OpenRoot(workspace);
        for (var i = 1; i < segments.Length; i++)
        {
            var parent = string.Join('/', segments[..(i - 1)]);
            using var dir = i == 1 ? null : OpenDir(root.Fd, parent, path);
            var at = dir?.Fd ?? root.Fd;
            if (Libc.MkdirAt(at, segments[i - 1], 0b111_000_000) == 0)
            {
                Libc.FChownAt(at, segments[i - 1], ownerUid, ownerUid, Libc.AT_SYMLINK_NOFOLLOW);
            }
            else if (Libc.LastError != Libc.EEXIST)
            {
                throw Failure(Libc.LastError, path);
            }
        }
        // No O_TRUNC here: the file is truncated only once it is known to be the sandbox's own.
        var fd = Libc.OpenAt2(root.Fd, string.Join('/', segments), Libc.O_WRONLY | Libc.O_CREAT | Libc.O_NONBLOCK | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0b110_100_100, Beneath);
        if (fd < 0)
        {
            throw Failure(Libc.LastError, path);
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.Describe(fd) is { Regular: true, Uid: 0, Links: 1 } && ownerUid != 0)
        {
            Libc.FChown(fd, ownerUid, ownerUid);
        }
        CheckOwnFile(handle, path, ownerUid);
        RandomAccess.SetLength(handle, 0);
        var buffer = new byte[64 * 1024];
        long written = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (written + read > maxBytes)
            {
                RandomAccess.SetLength(handle, 0);
                throw new WorkspaceFileTooLargeException($"Uploads are limited to {maxBytes} bytes.");
            }
            try
            {
                await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), written, cancellationToken);
            }
            catch (IOException e) when (e.HResult == Libc.ENOSPC || e.HResult == Libc.EDQUOT)
            {
                RandomAccess.SetLength(handle, 0);
                throw new WorkspaceFullException($"The sandbox's workspace is full after {written} bytes of '{path}'; delete files in it or upload less.");
            }
            written += read;
        }
    }

    /// <summary>
    /// Only a regular file owned by the sandbox's uid with a single link is served: a hard link to a file of the
    /// host (or of another sandbox) has another owner, so the broker, which runs as root, never reads or truncates it.
    /// </summary>
    private static long CheckOwnFile(SafeFileHandle handle, string path, int ownerUid)
    {
        var described = Libc.Describe(handle.DangerousGetHandle().ToInt32());
        if (described is not { Regular: true } file)
        {
            throw new WorkspacePathException($"'{path}' is not a regular file.");
        }
        if (Isolation.LaunchPrefix.BrokerIsRoot && (file.Uid != ownerUid || file.Links != 1))
        {
            throw new WorkspacePathException($"'{path}' is not a file of this sandbox (foreign owner or hard link); refused.");
        }
        return RandomAccess.GetLength(handle);
    }

    internal sealed class Descriptor(int fd) : IDisposable
    {
        public int Fd { get; } = fd;

        public void Dispose() => Libc.Close(Fd);
    }

    internal static Descriptor OpenRoot(string workspace)
    {
        var fd = Libc.Open(workspace, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
        return fd >= 0 ? new Descriptor(fd) : throw new WorkspaceFileNotFoundException("The sandbox workspace is gone.");
    }

    internal static Descriptor OpenDir(int at, string relative, string original)
    {
        var fd = Libc.OpenAt2(at, relative, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0, Beneath);
        return fd >= 0 ? new Descriptor(fd) : throw Failure(Libc.LastError, original);
    }

    internal static Exception Failure(int errno, string path) => errno switch
    {
        Libc.EXDEV or Libc.ELOOP or Libc.EACCES => new WorkspacePathException($"'{path}' resolves outside the workspace (through '..', an absolute or escaping symlink, or a /proc link); refused."),
        Libc.ENOENT => new WorkspaceFileNotFoundException($"'{path}' does not exist in the workspace."),
        Libc.ENOSPC or Libc.EDQUOT => new WorkspaceFullException($"The sandbox's workspace is full; '{path}' cannot be created."),
        Libc.ENOTDIR => new WorkspacePathException($"A parent of '{path}' is not a folder."),
        Libc.EISDIR => new WorkspacePathException($"'{path}' is a folder, not a file."),
        Libc.ENOSYS => new PlatformNotSupportedException("openat2 is not available on this kernel (Linux 5.6 or later is required)."),
        _ => new IOException($"Opening '{path}' failed with errno {errno}."),
    };
}
