namespace AgentCloud.Memory.Domain;

/// <summary>A request the memory service refuses, with the HTTP status and problem type it maps to.</summary>
public sealed class MemoryException(int status, string slug, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Slug { get; } = slug;
    public string Title { get; } = title;

    public static MemoryException BadRequest(string detail) => new(400, "bad-request", "Bad request", detail);

    public static MemoryException NotFound(string detail) => new(404, "not-found", "Not found", detail);
}
