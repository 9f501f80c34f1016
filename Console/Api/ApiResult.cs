namespace AgentCloud.Console.Api;

/// <summary>
/// An API answer as a page shows it: the value, or the problem the API gave (status and its actionable detail), so a
/// refusal reaches the user as the API worded it and never as an exception page.
/// </summary>
public sealed record ApiResult<T>(T? Value, int Status, string? Problem)
{
    public bool Ok => Problem is null;
}

public static class ApiResult
{
    public static ApiResult<T> Success<T>(T value, int status = 200) => new(value, status, null);

    public static ApiResult<T> Failure<T>(int status, string problem) => new(default, status, problem);
}
