using System.Text.Json;
using System.Text.Json.Nodes;
using Qdrant.Client.Grpc;

namespace AgentCloud.Memory.Backends;

/// <summary>Converts user JSON payloads to Qdrant values and back.</summary>
internal static class QdrantPayload
{
    public static Value ToValue(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return new Value { NullValue = NullValue.NullValue };
            case JsonObject obj:
                var s = new Struct();
                foreach (var (k, v) in obj)
                {
                    s.Fields[k] = ToValue(v);
                }
                return new Value { StructValue = s };
            case JsonArray array:
                var list = new ListValue();
                list.Values.AddRange(array.Select(ToValue));
                return new Value { ListValue = list };
            default:
                var value = node.AsValue();
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => new Value { StringValue = value.GetValue<string>() },
                    JsonValueKind.True => new Value { BoolValue = true },
                    JsonValueKind.False => new Value { BoolValue = false },
                    JsonValueKind.Number when IsInteger(value, out var n) => new Value { IntegerValue = n },
                    JsonValueKind.Number => new Value { DoubleValue = value.GetValue<double>() },
                    _ => new Value { NullValue = NullValue.NullValue },
                };
        }
    }

    public static JsonNode? ToJson(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => JsonValue.Create(value.StringValue),
        Value.KindOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        Value.KindOneofCase.IntegerValue => JsonValue.Create(value.IntegerValue),
        Value.KindOneofCase.DoubleValue => JsonValue.Create(value.DoubleValue),
        Value.KindOneofCase.StructValue => ToJsonObject(value.StructValue.Fields),
        Value.KindOneofCase.ListValue => new JsonArray([.. value.ListValue.Values.Select(ToJson)]),
        _ => null,
    };

    public static JsonObject ToJsonObject(IEnumerable<KeyValuePair<string, Value>> fields)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in fields)
        {
            obj[k] = ToJson(v);
        }
        return obj;
    }

    public static bool IsInteger(JsonValue value, out long n)
    {
        n = 0;
        return value.TryGetValue<JsonElement>(out var e) ? e.TryGetInt64(out n) : value.TryGetValue(out n);
    }
}
