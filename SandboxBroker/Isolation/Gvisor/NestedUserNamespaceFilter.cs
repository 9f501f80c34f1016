namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// gVisor lets an unprivileged process make user namespaces inside the sandbox (bubblewrap's <c>--disable-userns</c>
/// has no counterpart in runsc), which opens more of the sentry's code to tenant code. So each exec, after the broker's
/// own per-exec namespaces exist, installs a seccomp filter and then execs the command: <c>unshare</c> and <c>clone</c>
/// with CLONE_NEWUSER fail with EPERM, and <c>clone3</c> (whose flags a filter cannot read) with ENOSYS, so libc falls
/// back to <c>clone</c>. Perl is the installer because it is Essential on Debian and already in the sandbox's /usr.
/// </summary>
public static class NestedUserNamespaceFilter
{
    /// <summary>BPF, x86-64: arch check, then syscall number, then clone/unshare's flags (low word of the first argument).</summary>
    public const string InstallThenExec =
        "my @f = ([0x20,0,0,4],[0x15,0,4,0xc000003e],[0x20,0,0,0],[0x15,7,0,435],[0x15,2,0,272],[0x15,1,0,56],[0x06,0,0,0x7fff0000]," +
        "[0x20,0,0,16],[0x45,1,0,0x10000000],[0x06,0,0,0x7fff0000],[0x06,0,0,0x50001],[0x06,0,0,0x50026]);" +
        "my $filter = join '', map { pack 'SCCL', @$_ } @f;" +
        "syscall(157, 38, 1, 0, 0, 0) == 0 or die qq(agentcloud: no_new_privs: $!\\n);" +
        "syscall(157, 22, 2, pack('S x6 P', scalar @f, $filter)) == 0 or die qq(agentcloud: seccomp: $!\\n);" +
        "exec { $ARGV[0] } @ARGV or die qq(agentcloud: $ARGV[0]: $!\\n);";

    public static readonly string[] Prefix = ["/usr/bin/perl", "-e", InstallThenExec, "--"];
}
