using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// Builds a JSON value that satisfies a JSON Schema's required parts, as a small model filling in arguments would:
/// every required property, of the right type; <c>const</c>, the first <c>enum</c> value, the first <c>anyOf</c>/<c>oneOf</c>
/// branch, local <c>$ref</c>s; numbers within <c>minimum</c>/<c>maximum</c>, strings and arrays within their lengths.
/// A value the prompt spells out as <c>name=value</c> or <c>name: "value"</c> is taken for a property of that name
/// (also an optional one); other strings are the prompt's text (or a sample of the string's <c>format</c>).
/// </summary>
public sealed partial class SchemaInstance
{
    private const int MaxDepth = 16;

    /// <summary>
    /// What one instance may spend, in values plus string characters: a tenant's schema asking for a billion items or
    /// characters, or nesting wide arrays deep, gets a bounded answer (cut short, as a model would run out of tokens).
    /// </summary>
    public const int Budget = 32_768;
    private const int MaxStringLength = 120;

    // The value is read in a lookahead so that "ticket: title=x" still yields title=x.
    [GeneratedRegex("""(?<![\w.-])(?<name>[A-Za-z_][\w-]*)\s*[=:]\s*(?=(?<quote>["'])(?<value>.*?)\k<quote>|(?<value>[^\s,;"']+))""")]
    private static partial Regex Hint();

    private readonly JsonObject _root;
    private readonly Dictionary<string, string> _hints = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _text;
    private int _remaining = Budget;

    private SchemaInstance(JsonObject root, string prompt)
    {
        _root = root;
        foreach (Match m in Hint().Matches(prompt))
        {
            var value = m.Groups["value"].Value;
            _hints.TryAdd(m.Groups["name"].Value, m.Groups["quote"].Success ? value : value.TrimEnd('.', '!', '?'));
        }
        var text = prompt.Trim();
        _text = text.Length == 0 ? "example" : text.Length > MaxStringLength ? text[..MaxStringLength].TrimEnd() : text;
    }

    /// <summary>A value of <paramref name="schema"/>, filled from <paramref name="prompt"/> (the last user message).</summary>
    public static JsonNode? Create(JsonObject schema, string prompt) => new SchemaInstance(schema, prompt).Value(schema, null, 0);

    private JsonNode? Value(JsonNode? node, string? property, int depth)
    {
        if (--_remaining < 0)
        {
            return null;
        }
        if (depth > MaxDepth || node is not JsonObject schema)
        {
            return StringValue(null, property);
        }
        if (schema["$ref"] is JsonValue reference && Resolve(reference.GetValue<string>()) is { } target)
        {
            return Value(target, property, depth + 1);
        }
        if (schema.ContainsKey("const"))
        {
            return schema["const"]?.DeepClone();
        }
        if (schema["enum"] is JsonArray { Count: > 0 } choices)
        {
            var hinted = property is not null && _hints.TryGetValue(property, out var h) ? choices.FirstOrDefault(c => c?.ToString() == h) : null;
            return (hinted ?? choices[0])?.DeepClone();
        }
        foreach (var combinator in new[] { "anyOf", "oneOf", "allOf" })
        {
            if (schema[combinator] is JsonArray { Count: > 0 } branches)
            {
                var branch = branches.FirstOrDefault(b => TypeOf(b as JsonObject) != "null") ?? branches[0];
                return Value(branch, property, depth + 1);
            }
        }
        return TypeOf(schema) switch
        {
            "object" => ObjectValue(schema, depth),
            "array" => ArrayValue(schema, property, depth),
            "integer" => NumberValue(schema, property, integer: true),
            "number" => NumberValue(schema, property, integer: false),
            "boolean" => JsonValue.Create(property is null || !_hints.TryGetValue(property, out var b) || !bool.TryParse(b, out var parsed) || parsed),
            "null" => null,
            _ => StringValue(schema, property),
        };
    }

    private static string TypeOf(JsonObject? schema)
    {
        var type = schema?["type"];
        if (type is JsonArray types)
        {
            return types.Select(t => t?.ToString()).FirstOrDefault(t => t is not null and not "null") ?? "null";
        }
        if (type is JsonValue v && v.TryGetValue<string>(out var name))
        {
            return name;
        }
        return schema?["properties"] is not null ? "object" : schema?["items"] is not null ? "array" : "string";
    }

    private JsonObject ObjectValue(JsonObject schema, int depth)
    {
        var properties = schema["properties"] as JsonObject ?? [];
        var required = (schema["required"] as JsonArray ?? []).Select(r => r?.ToString()).OfType<string>().ToList();
        var names = required.Concat(properties.Select(p => p.Key).Where(k => _hints.ContainsKey(k))).Distinct(StringComparer.Ordinal);
        var result = new JsonObject();
        foreach (var name in names)
        {
            result[name] = Value(properties[name], name, depth + 1);
        }
        return result;
    }

    private JsonArray ArrayValue(JsonObject schema, string? property, int depth)
    {
        var count = Math.Max(1, Int(schema["minItems"]) ?? 0);
        if (Int(schema["maxItems"]) is { } max)
        {
            count = Math.Min(count, max);
        }
        var items = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            if (_remaining <= 0)
            {
                break;
            }
            items.Add(Value(schema["items"], property, depth + 1));
        }
        return items;
    }

    private JsonValue NumberValue(JsonObject schema, string? property, bool integer)
    {
        var value = property is not null && _hints.TryGetValue(property, out var h) && double.TryParse(h, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 1;
        if (Number(schema["minimum"]) is { } min)
        {
            value = Math.Max(value, min);
        }
        if (Number(schema["exclusiveMinimum"]) is { } xmin && value <= xmin)
        {
            value = integer ? Math.Floor(xmin) + 1 : xmin + 1;
        }
        if (Number(schema["maximum"]) is { } max)
        {
            value = Math.Min(value, max);
        }
        if (Number(schema["exclusiveMaximum"]) is { } xmax && value >= xmax)
        {
            value = integer ? Math.Ceiling(xmax) - 1 : xmax - 1;
        }
        return integer ? JsonValue.Create((long)Math.Ceiling(value)) : JsonValue.Create(value);
    }

    private JsonValue StringValue(JsonObject? schema, string? property)
    {
        var text = property is not null && _hints.TryGetValue(property, out var hinted) ? hinted : SampleOf(schema?["format"]?.ToString()) ?? _text;
        if (Int(schema?["maxLength"]) is { } max && text.Length > max)
        {
            text = text[..max];
        }
        if (Int(schema?["minLength"]) is { } min && text.Length < min)
        {
            text = text.PadRight(Math.Min(min, Math.Max(text.Length, _remaining)), 'x');
        }
        _remaining -= text.Length;
        return JsonValue.Create(text);
    }

    private static string? SampleOf(string? format) => format switch
    {
        "uri" or "url" or "uri-reference" or "iri" => "https://example.com/",
        "email" or "idn-email" => "user@example.com",
        "date-time" => "2025-01-01T00:00:00Z",
        "date" => "2025-01-01",
        "time" => "00:00:00Z",
        "uuid" => "00000000-0000-4000-8000-000000000000",
        "hostname" or "idn-hostname" => "example.com",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        _ => null,
    };

    /// <summary>A local reference such as <c>#/$defs/Address</c>; others are not followed.</summary>
    private JsonNode? Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }
        JsonNode? node = _root;
        foreach (var part in reference[2..].Split('/'))
        {
            node = node is JsonObject o ? o[part.Replace("~1", "/").Replace("~0", "~")] : null;
        }
        return node;
    }

    private static int? Int(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) ? n : null;

    private static double? Number(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var n) ? n : null;
}
