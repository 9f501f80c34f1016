using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Commands;

/// <summary>Lists come back as a JSON array or wrapped (<c>{"data": [...]}</c>, OpenAI style); both read the same.</summary>
internal static class JsonList
{
    public static IEnumerable<JsonNode?> Items(JsonNode? node, params string[] wrappers) => node switch
    {
        JsonArray array => array,
        JsonObject obj => wrappers.Concat(["data", "items"]).Select(w => obj[w]).OfType<JsonArray>().FirstOrDefault() ?? [],
        _ => [],
    };

    public static string Escape(string segment) => Uri.EscapeDataString(segment);
}
