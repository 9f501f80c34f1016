namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// The root every gVisor sandbox of this broker shares, read-only: empty mount points and the merged-/usr links, nothing
/// of the host's own files (those come in as read-only binds, as with bubblewrap).
/// </summary>
public static class GvisorRootfs
{
    private static readonly string[] Folders = ["usr", "proc", "dev", "tmp", "workspace", "run/agentcloud", "etc"];
    private static readonly string[] UsrLinks = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    public static void Ensure(string rootfs)
    {
        foreach (var folder in Folders)
        {
            Directory.CreateDirectory(Path.Combine(rootfs, folder));
        }
        foreach (var link in UsrLinks.Where(l => Directory.Exists(Path.Combine("/usr", l))))
        {
            var path = Path.Combine(rootfs, link);
            if (!Path.Exists(path))
            {
                File.CreateSymbolicLink(path, "usr/" + link);
            }
        }
        foreach (var etc in GvisorSpec.OptionalEtc.Where(p => Path.Exists(p)))
        {
            var target = Path.Combine(rootfs, etc.TrimStart('/'));
            if (Directory.Exists(etc))
            {
                Directory.CreateDirectory(target);
            }
            else if (!File.Exists(target))
            {
                File.WriteAllBytes(target, []);
            }
        }
        var everyoneReads = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(rootfs, everyoneReads);
    }
}
