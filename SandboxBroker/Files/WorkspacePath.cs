namespace AgentCloud.SandboxBroker.Files;

/// <summary>Why a files-API path was refused, in words for the caller.</summary>
public sealed class WorkspacePathException(string message) : Exception(message);

/// <summary>
/// First, cheap wall for file paths: relative, no <c>..</c>, no empty or NUL segments. The real guarantee is
/// <see cref="WorkspaceFiles"/> resolving with openat2 beneath the workspace descriptor; this only gives clearer errors.
/// </summary>
public static class WorkspacePath
{
    public const int MaxLength = 4096;

    /// <summary>NAME_MAX: the kernel refuses longer file names (ENAMETOOLONG).</summary>
    public const int MaxSegmentBytes = 255;

    public static string[] Split(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            throw new WorkspacePathException("A file path inside the workspace is required, e.g. 'src/main.py'.");
        }
        if (raw.Length > MaxLength)
        {
            throw new WorkspacePathException($"The path is longer than {MaxLength} characters.");
        }
        if (raw.Contains('\0'))
        {
            throw new WorkspacePathException("The path contains a NUL character.");
        }
        if (raw.StartsWith('/'))
        {
            throw new WorkspacePathException($"'{raw}' is absolute; paths are relative to the sandbox workspace.");
        }
        var segments = raw.Split('/');
        foreach (var segment in segments)
        {
            if (segment is "" or ".")
            {
                throw new WorkspacePathException($"'{raw}' has an empty or '.' segment; give a plain relative path.");
            }
            if (System.Text.Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                throw new WorkspacePathException($"A segment of the path is longer than {MaxSegmentBytes} bytes, the most a file name may have.");
            }
            if (segment == "..")
            {
                throw new WorkspacePathException($"'{raw}' climbs out with '..'; paths must stay inside the workspace.");
            }
        }
        return segments;
    }
}
