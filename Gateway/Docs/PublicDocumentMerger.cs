using System.Text.Json.Nodes;

namespace AgentCloud.Gateway.Docs;

/// <summary>
/// Merges the services' OpenAPI documents into the one public document: only operations a predicate admits (the
/// Gateway routes them to that service) are kept, with the components they reference and nothing else, so neither an internal path nor
/// the shape of an internal type is ever published. Components two services name alike but define differently are
/// renamed after their service.
/// </summary>
public static class PublicDocumentMerger
{
    private const string ComponentsRef = "#/components/";
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    public sealed record ServiceDocument(string Service, JsonObject Document);

    public static JsonObject Merge(IEnumerable<ServiceDocument> documents, Func<string, string, string, bool> isPublic, JsonObject header)
    {
        var paths = new JsonObject();
        var components = new JsonObject();
        foreach (var (service, document) in documents)
        {
            var kept = KeepPublic(document["paths"] as JsonObject, (path, method) => isPublic(service, path, method));
            var source = document["components"] as JsonObject ?? [];
            var needed = ReferencedComponents(kept, source);
            var renames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var reference in needed)
            {
                var (kind, name) = Split(reference);
                var definition = source[kind]![name]!;
                var target = components[kind] as JsonObject ?? (JsonObject)(components[kind] = new JsonObject());
                if (target[name] is { } existing && !JsonNode.DeepEquals(existing, definition))
                {
                    renames[reference] = $"{ComponentsRef}{kind}/{service}.{name}";
                }
            }
            foreach (var reference in needed)
            {
                var (kind, name) = Split(reference);
                var finalName = renames.TryGetValue(reference, out var renamed) ? Split(renamed).Name : name;
                var definition = Rewrite(source[kind]![name]!.DeepClone(), renames);
                ((JsonObject)components[kind]!)[finalName] = definition;
            }
            foreach (var (path, item) in kept)
            {
                var rewritten = (JsonObject)Rewrite(item!.DeepClone(), renames);
                if (paths[path] is JsonObject present)
                {
                    foreach (var (method, operation) in rewritten.ToList())
                    {
                        rewritten.Remove(method);
                        present[method] = operation;
                    }
                }
                else
                {
                    paths[path] = rewritten;
                }
            }
        }
        var merged = (JsonObject)header.DeepClone();
        merged["paths"] = Sorted(paths);
        var mergedComponents = merged["components"] as JsonObject ?? (JsonObject)(merged["components"] = new JsonObject());
        foreach (var (kind, entries) in components)
        {
            mergedComponents[kind] = Sorted((JsonObject)entries!.DeepClone());
        }
        return merged;
    }

    /// <summary>The path items with only their public operations; a path left with none is dropped.</summary>
    private static List<KeyValuePair<string, JsonNode?>> KeepPublic(JsonObject? paths, Func<string, string, bool> isPublic)
    {
        var kept = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (path, node) in paths ?? [])
        {
            if (node is not JsonObject item)
            {
                continue;
            }
            var copy = new JsonObject();
            foreach (var (key, value) in item)
            {
                var isOperation = Methods.Contains(key, StringComparer.OrdinalIgnoreCase);
                if (!isOperation || isPublic(path, key.ToUpperInvariant()))
                {
                    copy[key] = value?.DeepClone();
                }
            }
            if (copy.Any(p => Methods.Contains(p.Key, StringComparer.OrdinalIgnoreCase)))
            {
                kept.Add(new(path, copy));
            }
        }
        return kept;
    }

    /// <summary>Every component the kept paths reference, directly or through other components.</summary>
    private static List<string> ReferencedComponents(List<KeyValuePair<string, JsonNode?>> kept, JsonObject components)
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonNode?>(kept.Select(k => k.Value));
        while (pending.TryPop(out var node))
        {
            foreach (var reference in References(node))
            {
                if (!seen.Add(reference))
                {
                    continue;
                }
                var (kind, name) = Split(reference);
                if (components[kind]?[name] is { } definition)
                {
                    found.Add(reference);
                    pending.Push(definition);
                }
            }
        }
        return found;
    }

    private static IEnumerable<string> References(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value is JsonValue v && v.TryGetValue<string>(out var reference) && reference.StartsWith(ComponentsRef, StringComparison.Ordinal))
                    {
                        yield return reference;
                    }
                    foreach (var inner in References(value))
                    {
                        yield return inner;
                    }
                }
                break;
            case JsonArray array:
                foreach (var inner in array.SelectMany(References))
                {
                    yield return inner;
                }
                break;
        }
    }

    private static JsonNode Rewrite(JsonNode node, Dictionary<string, string> renames)
    {
        if (renames.Count == 0)
        {
            return node;
        }
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "$ref" && value is JsonValue v && v.TryGetValue<string>(out var reference) && renames.TryGetValue(reference, out var renamed))
                    {
                        obj[key] = renamed;
                    }
                    else if (value is not null)
                    {
                        Rewrite(value, renames);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    Rewrite(item, renames);
                }
                break;
        }
        return node;
    }

    private static (string Kind, string Name) Split(string reference)
    {
        var rest = reference[ComponentsRef.Length..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
    }

    private static JsonObject Sorted(JsonObject obj)
    {
        var sorted = new JsonObject();
        foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
        {
            obj.Remove(key);
            sorted[key] = value;
        }
        return sorted;
    }
}
