using System.Runtime.InteropServices;

namespace AgentCloud.SandboxBroker.Native;

/// <summary>The few Linux system calls the broker needs that .NET does not expose.</summary>
internal static partial class Libc
{
    public const int SIGKILL = 9;
    public const int ENOENT = 2, EINTR = 4, EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, ELOOP = 40, ENOSYS = 38, ESRCH = 3, ENOSPC = 28, EDQUOT = 122;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_NONBLOCK = 0x800,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_BENEATH = 0x08;

    private const long SYS_openat2 = 437;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref OpenHow how, nuint size);

    /// <summary>openat2(2): resolves <paramref name="path"/> relative to <paramref name="dirfd"/> under the given RESOLVE_* rules.</summary>
    public static int OpenAt2(int dirfd, string path, int flags, uint mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)flags, Mode = mode, Resolve = resolve };
        while (true)
        {
            var fd = Syscall(SYS_openat2, dirfd, path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
            if (fd >= 0 || Marshal.GetLastPInvokeError() != EINTR)
            {
                return (int)fd;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int FChown(int fd, int owner, int group);

    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FChownAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group, int flags);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true)]
    public static partial int LChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    public const ulong MS_NOSUID = 2, MS_NODEV = 4;
    public const int MNT_DETACH = 2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true)]
    public static partial int Mount([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string fsType, ulong flags, [MarshalAs(UnmanagedType.LPUTF8Str)] string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true)]
    public static partial int Umount2([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int flags);

    public const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial int GetEuid();

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, Span<byte> buffer);

    /// <summary>The type bits, owner and link count of an open descriptor (fstat); null when fstat fails.</summary>
    public static (bool Regular, int Uid, ulong Links)? Describe(int fd)
    {
        Span<byte> stat = stackalloc byte[256];
        if (FStat(fd, stat) != 0)
        {
            return null;
        }
        // x86-64: st_dev, st_ino, st_nlink (8 bytes), st_mode, st_uid; arm64: st_dev, st_ino, st_mode, st_nlink (4 bytes), st_uid.
        var x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        var mode = BitConverter.ToUInt32(stat.Slice(x64 ? 24 : 16, 4));
        var uid = BitConverter.ToInt32(stat.Slice(x64 ? 28 : 24, 4));
        var links = x64 ? BitConverter.ToUInt64(stat.Slice(16, 8)) : BitConverter.ToUInt32(stat.Slice(20, 4));
        return ((mode & 0xF000) == 0x8000, uid, links);
    }

    public static int LastError => Marshal.GetLastPInvokeError();
}
