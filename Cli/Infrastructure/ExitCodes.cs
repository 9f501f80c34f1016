namespace AgentCloud.Cli.Infrastructure;

/// <summary>Exit codes scripts can rely on (also listed in the README).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The platform answered with an error not covered below (4xx/5xx).</summary>
    public const int ApiError = 1;

    /// <summary>The command line was wrong: unknown command or flag, missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The Gateway could not be reached (connection refused, DNS, timeout).</summary>
    public const int Unreachable = 3;

    /// <summary>The key is missing, unknown, revoked (401) or lacks the capability (403).</summary>
    public const int Unauthorized = 4;

    public const int NotFound = 5;

    /// <summary>Rate limited or over quota (429).</summary>
    public const int RateLimited = 6;
}
