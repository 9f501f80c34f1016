using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentCloud.Memory.Domain;

/// <summary>One payload condition: the field equals one of the values.</summary>
public sealed record FieldCondition(string Field, IReadOnlyList<JsonValue> AnyOf);

/// <summary>
/// A user's filter on payload fields, all conditions ANDed: <c>{"topic": "x", "lang": {"$in": ["en", "fr"]}}</c>.
/// Only top-level payload fields with scalar values; no operators that combine conditions (<c>$or</c>, <c>$not</c>),
/// and never <c>tenant_id</c>: the tenant condition is the service's, added outside anything a user writes.
/// </summary>
public sealed partial record PayloadFilter(IReadOnlyList<FieldCondition> Conditions)
{
    public const int MaxConditions = 16;
    public const int MaxValuesPerCondition = 100;
    public const string ReservedField = "tenant_id";

    public static readonly PayloadFilter None = new([]);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
    public static partial Regex FieldName();

    public static PayloadFilter Parse(JsonObject? filter)
    {
        if (filter is null || filter.Count == 0)
        {
            return None;
        }
        if (filter.Count > MaxConditions)
        {
            throw MemoryException.BadRequest($"A filter has at most {MaxConditions} fields; this one has {filter.Count}.");
        }
        var conditions = new List<FieldCondition>();
        foreach (var (field, value) in filter)
        {
            CheckFieldName(field, "filter");
            conditions.Add(new FieldCondition(field, ValuesOf(field, value)));
        }
        return new PayloadFilter(conditions);
    }

    /// <summary>Refuses field names that are operators, reserved or not plain identifiers.</summary>
    public static void CheckFieldName(string field, string where)
    {
        if (field.StartsWith('$'))
        {
            throw MemoryException.BadRequest($"The {where} uses the operator '{field}'; only field equality and $in on a field are supported, all conditions ANDed.");
        }
        if (string.Equals(field, ReservedField, StringComparison.OrdinalIgnoreCase))
        {
            throw MemoryException.BadRequest($"'{ReservedField}' is reserved: the service scopes every call to the caller's tenant; remove it from the {where}.");
        }
        if (!FieldName().IsMatch(field))
        {
            throw MemoryException.BadRequest($"The {where} field '{Truncate(field)}' is not a valid name: letters, digits, '_' and '-', at most 64, not starting with a digit.");
        }
    }

    private static IReadOnlyList<JsonValue> ValuesOf(string field, JsonNode? value)
    {
        if (value is JsonObject op)
        {
            if (op.Count != 1 || !op.TryGetPropertyValue("$in", out var list) || list is not JsonArray array)
            {
                throw MemoryException.BadRequest($"The filter on '{field}' must be a value or {{\"$in\": [values]}}.");
            }
            if (array.Count is 0 or > MaxValuesPerCondition)
            {
                throw MemoryException.BadRequest($"The $in list on '{field}' needs 1 to {MaxValuesPerCondition} values.");
            }
            return [.. array.Select(v => Scalar(field, v))];
        }
        return [Scalar(field, value)];
    }

    private static JsonValue Scalar(string field, JsonNode? node)
    {
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
        {
            return (JsonValue)v.DeepClone();
        }
        throw MemoryException.BadRequest($"The filter on '{field}' compares with a string, number or boolean only.");
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
