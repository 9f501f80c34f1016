using System.Globalization;
using System.Text;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// Reads a background process's status file, which the tenant can write: at most a few bytes are read, so a file grown
/// to gigabytes never becomes a string in the broker; anything that is not a plain exit code reads as 255.
/// </summary>
public static class ExitStatusFile
{
    /// <summary>An exit code is at most three digits; a newline and some slack fit too.</summary>
    public const int MaxBytes = 16;

    public const int Unreadable = 255;

    /// <summary>The code written, <see cref="Unreadable"/> for anything else, null when the file is missing or still empty.</summary>
    public static int? Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: false);
            if (file.Length == 0)
            {
                return null;
            }
            if (file.Length > MaxBytes)
            {
                return Unreadable;
            }
            var buffer = new byte[MaxBytes];
            var read = file.ReadAtLeast(buffer, MaxBytes, throwOnEndOfStream: false);
            return Parse(Encoding.ASCII.GetString(buffer, 0, read));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static int Parse(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 255 ? code : Unreadable;
}
