using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Processes;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>A background process's log as the executor feeds it: one copy of the output, truncation counted in bytes.</summary>
public sealed class ProcessLogTests
{
    private static async Task<(ProcessLog Log, CappedBuffer Buffer)> FeedAsync(byte[] output, int capacity)
    {
        var log = new ProcessLog();
        IExecOutput sink = log;
        var buffer = new CappedBuffer(capacity, b => sink.WriteAsync(ExecOutputStream.Stdout, b), keep: !sink.KeepsOutput,
            onCut: () => sink.Cut(ExecOutputStream.Stdout));
        await buffer.DrainAsync(new MemoryStream(output));
        return (log, buffer);
    }

    [Fact]
    public async Task Invalid_utf8_under_the_cap_is_not_reported_truncated_though_its_text_is_longer_in_bytes()
    {
        // 40 bytes that decode to 40 replacement characters, 120 bytes as text: still 40 bytes, under the cap of 64.
        var (log, _) = await FeedAsync(Enumerable.Repeat((byte)0xFF, 40).ToArray(), capacity: 64);

        Assert.False(log.Truncated);
        Assert.Equal(40, log.Text().Stdout.Length);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(log.Text().Stdout) > 64);
    }

    [Fact]
    public async Task Output_past_the_cap_is_cut_at_the_cap_and_reported_truncated()
    {
        var (log, buffer) = await FeedAsync(Enumerable.Repeat((byte)'a', 100).ToArray(), capacity: 64);

        Assert.True(log.Truncated);
        Assert.True(buffer.Truncated);
        Assert.Equal(new string('a', 64), log.Text().Stdout);
    }

    [Fact]
    public async Task The_log_is_the_one_copy_the_run_keeps_none_besides_and_a_handed_piece_is_kept_as_it_is()
    {
        var (log, buffer) = await FeedAsync("hello"u8.ToArray(), capacity: 64);
        var piece = "world"u8.ToArray();
        await log.WriteAsync(ExecOutputStream.Stderr, piece);

        Assert.Equal("", buffer.Text());
        Assert.Equal("hello", log.Text().Stdout);
        Assert.Same(piece, log.Follow().SoFar.Single(c => c.Stream == ExecOutputStream.Stderr).Bytes);
    }
}
