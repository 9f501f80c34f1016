using System.Diagnostics;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// A connection made of a process's stdin (written) and stdout (read): the forwarder a port connection runs inside the
/// sandbox. Disposing it closes the connection and runs <c>closed</c>, which kills what is left of the forwarder.
/// </summary>
public sealed class ProcessStream(Process process, Action closed) : Stream
{
    private readonly Stream _in = process.StandardOutput.BaseStream;
    private readonly Stream _out = process.StandardInput.BaseStream;
    private int _disposed;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _in.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _in.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _out.Write(buffer, offset, count);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _out.WriteAsync(buffer, cancellationToken);
        await _out.FlushAsync(cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _out.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _out.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _out.Dispose();
            }
            catch (IOException)
            {
                // The forwarder already went away.
            }
            closed();
            process.Dispose();
        }
        base.Dispose(disposing);
    }
}
