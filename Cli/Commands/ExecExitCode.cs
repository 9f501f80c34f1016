using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary>
/// What <c>agentcloud sandbox exec</c> exits with: the command's own exit code, as a shell would give it (a command
/// ended by signal N is 128+N, a code outside 0–255 is taken modulo 256), and 124 when it was killed at its timeout, as
/// <c>timeout(1)</c> does. An answer without an exit code is an API error.
/// </summary>
internal static class ExecExitCode
{
    public const int TimedOut = 124;

    public static int Of(JsonNode? result)
    {
        if (result?["timedOut"] is JsonValue timedOut && timedOut.TryGetValue<bool>(out var late) && late)
        {
            return TimedOut;
        }
        if (result?["exitCode"] is not JsonValue value || !value.TryGetValue<int>(out var code))
        {
            return ExitCodes.ApiError;
        }
        return code < 0 ? Math.Min(128 - code, 255) : code & 0xFF;
    }
}
