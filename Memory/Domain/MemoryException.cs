using AgentCloud.Platform;

namespace AgentCloud.Memory.Domain;

/// <summary>A request the memory service refuses: a <see cref="Refusal"/>, answered as its problem+json like every other.</summary>
public sealed class MemoryException(int status, string slug, string title, string detail) : Refusal(status, slug, title, detail)
{
    public static new MemoryException BadRequest(string detail) => new(400, "bad-request", "Bad request", detail);

    public static new MemoryException NotFound(string detail) => new(404, "not-found", "Not found", detail);
}
