namespace AgentCloud.Platform.Contracts;

/// <summary>
/// Priority lanes of a tenant's inference calls: <c>interactive</c> is served before <c>batch</c>. A call names its
/// lane with <see cref="Header"/>; without it the Gateway sends its key's default lane.
/// </summary>
public static class Lanes
{
    public const string Interactive = "interactive";
    public const string Batch = "batch";
    public const string Header = "x-agentcloud-lane";

    public static bool IsKnown(string? lane) => lane is Interactive or Batch;
}
