using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentCloud.SandboxBroker.Kubernetes;

namespace AgentCloud.SandboxBroker.Tests.Kubernetes;

/// <summary>
/// The shell loader a pod exec runs, run here by this host's /bin/sh exactly as the pod's would: the environment comes
/// off stdin ahead of the caller's input, and no value can become a command.
/// </summary>
public sealed class PodExecLoaderTests
{
    private static async Task<(int Exit, string Stdout)> RunLoaderAsync(Dictionary<string, string> env, string stdin, params string[] command)
    {
        var block = Encoding.UTF8.GetBytes(PodExec.EnvironmentScript(env));
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", PodExec.Loader, "agentcloud-exec", block.Length.ToString(CultureInfo.InvariantCulture),
            Encoding.UTF8.GetByteCount(stdin).ToString(CultureInfo.InvariantCulture) }.Concat(command))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        await process.StandardInput.BaseStream.WriteAsync(block);
        await process.StandardInput.BaseStream.WriteAsync(Encoding.UTF8.GetBytes(stdin));
        process.StandardInput.Close();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout);
    }

    [Fact]
    public async Task The_command_sees_the_environment_and_then_exactly_the_callers_stdin()
    {
        var (exit, stdout) = await RunLoaderAsync(new() { ["GREETING"] = "hello there" }, "line one\nline two\n",
            "sh", "-c", "printf '%s|' \"$GREETING\"; cat");

        Assert.Equal(0, exit);
        Assert.Equal("hello there|line one\nline two\n", stdout);
    }

    [Fact]
    public async Task A_hostile_value_is_data_not_a_command()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"agentcloud-loader-{Guid.NewGuid():N}");
        var hostile = $"x'; touch {marker}; echo '$(touch {marker})`touch {marker}`\nexport PATH=/nowhere";

        var (exit, stdout) = await RunLoaderAsync(new() { ["V"] = hostile }, "", "printenv", "V");

        Assert.Equal(0, exit);
        Assert.Equal(hostile + "\n", stdout);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task The_exit_code_is_the_commands()
    {
        var (exit, _) = await RunLoaderAsync(new(), "", "sh", "-c", "exit 7");

        Assert.Equal(7, exit);
    }
}
