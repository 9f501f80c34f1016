using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// Reads a background process's output files (gVisor's, see <see cref="ProcessOutputFiles"/>) into its log as they grow,
/// each stream capped as an exec's output is; from the start of the files, so a restored process's log is whole again.
/// The files sit in a folder only the broker can add to, so what is read is always the file the broker made.
/// </summary>
public sealed class OutputTail
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly ProcessOutputFiles _files;
    private readonly ProcessLog _log;
    private readonly long _cap;
    private readonly long[] _offsets = new long[2];
    private readonly long[] _logged = new long[2];
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private OutputTail(ProcessOutputFiles files, ProcessLog log, long cap)
    {
        _files = files;
        _log = log;
        _cap = cap;
    }

    public bool Truncated { get; private set; }

    public static OutputTail Start(ProcessOutputFiles files, ProcessLog log, long cap)
    {
        var tail = new OutputTail(files, log, cap);
        tail._loop = Task.Run(tail.LoopAsync);
        return tail;
    }

    /// <summary>
    /// Stops polling after one last read, so nothing the process wrote before it ended is lost, then (unless a checkpoint
    /// carries them) removes the files: the log has it all, and only running processes' files take room on the host.
    /// </summary>
    public async Task StopAsync(bool remove)
    {
        await _stop.CancelAsync();
        await _loop;
        await DrainAsync();
        _stop.Dispose();
        if (remove)
        {
            Remove(_files);
        }
    }

    public static void Remove(ProcessOutputFiles files)
    {
        foreach (var path in new[] { files.Stdout, files.Stderr, files.ExitStatus })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await DrainAsync();
            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task DrainAsync()
    {
        await DrainAsync(0, _files.Stdout, ExecOutputStream.Stdout);
        await DrainAsync(1, _files.Stderr, ExecOutputStream.Stderr);
    }

    private async Task DrainAsync(int index, string path, ExecOutputStream stream)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: false);
            if (file.Length < _offsets[index])
            {
                // The tenant cut the file (": > out"): follow it from its start again, the log marked cut, as what
                // was written between the last read and the cut is lost.
                _offsets[index] = 0;
                MarkCut(stream);
            }
            if (file.Length <= _offsets[index])
            {
                return;
            }
            file.Seek(_offsets[index], SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await file.ReadAsync(buffer)) > 0)
            {
                var kept = (int)Math.Clamp(_cap - _logged[index], 0, read);
                if (kept > 0)
                {
                    await _log.WriteAsync(stream, buffer.AsMemory(0, kept).ToArray());
                }
                if (kept < read)
                {
                    MarkCut(stream);
                }
                _offsets[index] += read;
                _logged[index] += kept;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The slot's folder went with its sandbox: nothing more to read.
        }
    }

    private void MarkCut(ExecOutputStream stream)
    {
        if (!Truncated)
        {
            Truncated = true;
            _log.Cut(stream);
        }
    }
}
