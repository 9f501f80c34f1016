using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Processes;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>
/// The broker reading files a tenant can write (a gVisor background process's status and output files): a status file
/// grown huge or filled with junk never becomes a large string or a bogus code, and an output file cut short is followed again.
/// </summary>
public sealed class OutputFileReadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentcloud-outputfiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string FileWith(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("0\n", 0)]
    [InlineData("137", 137)]
    [InlineData(" 42 \n", 42)]
    [InlineData("-1", 255)]
    [InlineData("300", 255)]
    [InlineData("exit", 255)]
    public void A_status_file_reads_as_its_code_or_255_for_anything_else(string text, int expected) =>
        Assert.Equal(expected, ExitStatusFile.Read(FileWith("p.status", text)));

    [Fact]
    public void A_status_file_a_tenant_grew_to_a_gigabyte_reads_as_255_without_being_read()
    {
        var path = FileWith("huge.status", "");
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(1024L * 1024 * 1024); // sparse: no disk used, but ReadAllText would build a 2 GB string
        }
        Assert.Equal(ExitStatusFile.Unreadable, ExitStatusFile.Read(path));
    }

    [Fact]
    public void A_status_file_that_is_empty_or_missing_says_the_process_has_not_ended()
    {
        Assert.Null(ExitStatusFile.Read(FileWith("empty.status", "")));
        Assert.Null(ExitStatusFile.Read(Path.Combine(_dir, "missing.status")));
    }

    [Fact]
    public async Task An_output_file_the_tenant_cuts_short_is_followed_again_from_its_start_and_the_log_says_it_was_cut()
    {
        var files = new ProcessOutputFiles("p", FileWith("p.out", "first part\n"), FileWith("p.err", ""), FileWith("p.status", ""), Path.Combine(_dir, "p.pid"));
        var log = new ProcessLog();
        var tail = OutputTail.Start(files, log, cap: 1024);
        await WaitUntilAsync(() => log.Text().Stdout.Contains("first part", StringComparison.Ordinal));

        File.WriteAllText(files.Stdout, "new\n"); // truncates: shorter than what was read
        await tail.StopAsync(remove: false); // its last read sees the cut file

        Assert.Equal("first part\nnew\n", log.Text().Stdout);
        Assert.True(tail.Truncated);
    }

    [Fact]
    public async Task Following_again_after_a_cut_keeps_the_log_within_its_cap()
    {
        var files = new ProcessOutputFiles("p", FileWith("p.out", new string('a', 8)), FileWith("p.err", ""), FileWith("p.status", ""), Path.Combine(_dir, "p.pid"));
        var log = new ProcessLog();
        var tail = OutputTail.Start(files, log, cap: 10);
        await WaitUntilAsync(() => log.Text().Stdout.Length == 8);

        File.WriteAllText(files.Stdout, new string('b', 6));
        await tail.StopAsync(remove: false);

        Assert.Equal(new string('a', 8) + "bb", log.Text().Stdout);
    }

    /// <summary>Waits for the tail's poll to have read the file (a bound only against a hang, not an assertion on time).</summary>
    private static async Task WaitUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(done());
    }
}
