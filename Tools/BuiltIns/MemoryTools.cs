using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Platform;

namespace AgentCloud.Tools.BuiltIns;

/// <summary><c>memory.search</c>: searches one of the caller's memory collections by text (the Memory service, in the caller's context).</summary>
public sealed class MemorySearchTool(PlatformServices services) : IBuiltInTool
{
    public ToolDescriptor Descriptor { get; } = new("memory.search", "Search the caller's memory collection for the points nearest a text.",
        Schemas.Object(["collection", "text"],
            ("collection", "string", "The collection to search, e.g. notes."),
            ("text", "string", "What to look for."),
            ("limit", "integer", "How many results, 1 to 100 (default 5).")));

    public Task<ToolOutcome> InvokeAsync(ToolInvocation call, CancellationToken cancellationToken)
    {
        var collection = MemoryArguments.Collection(call);
        var text = call.String("text") ?? throw new ToolRefusal("'text' is required: the text to search for.");
        return services.SendAsync(PlatformServices.MemoryClient, HttpMethod.Post, $"/v1/memory/{Uri.EscapeDataString(collection)}/search",
            new { text, limit = call.Int("limit") ?? 5 }, call, cancellationToken);
    }
}

/// <summary><c>memory.put</c>: stores one text in one of the caller's memory collections.</summary>
public sealed class MemoryPutTool(PlatformServices services) : IBuiltInTool
{
    public ToolDescriptor Descriptor { get; } = new("memory.put", "Store a text in the caller's memory collection under an id.",
        Schemas.Object(["collection", "id", "text"],
            ("collection", "string", "The collection to write, e.g. notes."),
            ("id", "string", "The point's id; writing an id again replaces it."),
            ("text", "string", "The text to store.")));

    public Task<ToolOutcome> InvokeAsync(ToolInvocation call, CancellationToken cancellationToken)
    {
        var collection = MemoryArguments.Collection(call);
        var id = call.String("id") ?? throw new ToolRefusal("'id' is required: the point's id.");
        var text = call.String("text") ?? throw new ToolRefusal("'text' is required: the text to store.");
        return services.SendAsync(PlatformServices.MemoryClient, HttpMethod.Put, $"/v1/memory/{Uri.EscapeDataString(collection)}/points",
            new { points = new[] { new { id, text } } }, call, cancellationToken);
    }
}

internal static class MemoryArguments
{
    public static string Collection(ToolInvocation call) =>
        call.String("collection") is { Length: > 0 } c ? c : throw new ToolRefusal("'collection' is required: the name of one of your memory collections.");
}
