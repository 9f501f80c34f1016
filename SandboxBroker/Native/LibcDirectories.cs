using System.Runtime.InteropServices;

namespace AgentCloud.SandboxBroker.Native;

/// <summary>The directory calls of the workspace file operations, all relative to an open directory descriptor.</summary>
internal static partial class Libc
{
    public const int ENOTEMPTY = 39, ENAMETOOLONG = 36;
    public const int AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

    [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true)]
    private static partial int FStatAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, Span<byte> buffer, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, Span<byte> buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int FChmod(int fd, uint mode);

    /// <summary>What fstatat says of a name: type bits and permissions, owner, links, size and modification time.</summary>
    public readonly record struct StatInfo(uint Mode, int Uid, ulong Links, long Size, DateTimeOffset Modified)
    {
        public uint Type => Mode & 0xF000;
        public bool IsRegular => Type == 0x8000;
        public bool IsDirectory => Type == 0x4000;
        public bool IsSymlink => Type == 0xA000;
    }

    /// <summary>fstatat(2) of <paramref name="name"/> in <paramref name="dirfd"/>; null (and errno in <see cref="LastError"/>) when it fails.</summary>
    public static StatInfo? StatAt(int dirfd, string name, int flags)
    {
        Span<byte> stat = stackalloc byte[256];
        if (FStatAt(dirfd, name, stat, flags) != 0)
        {
            return null;
        }
        // x86-64 and arm64 differ before st_rdev (see Describe); st_size is at 48 and st_mtim at 88 on both.
        var x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        var mode = BitConverter.ToUInt32(stat.Slice(x64 ? 24 : 16, 4));
        var uid = BitConverter.ToInt32(stat.Slice(x64 ? 28 : 24, 4));
        var links = x64 ? BitConverter.ToUInt64(stat.Slice(16, 8)) : BitConverter.ToUInt32(stat.Slice(20, 4));
        var size = BitConverter.ToInt64(stat.Slice(48, 8));
        var seconds = BitConverter.ToInt64(stat.Slice(88, 8));
        var nanos = BitConverter.ToInt64(stat.Slice(96, 8));
        return new StatInfo(mode, uid, links, size, DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100));
    }

    /// <summary>readlinkat(2): the text of a symlink, never followed; null when it fails.</summary>
    public static string? ReadLink(int dirfd, string name)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var n = ReadLinkAt(dirfd, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer[..(int)n]);
    }
}
