using System.Text.Json.Nodes;
using AgentCloud.ModelSimulator.Inference;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class SchemaInstanceTests
{
    private static JsonObject Schema(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Every_required_property_gets_a_value_of_its_type_and_optional_ones_are_left_out()
    {
        var schema = Schema("""
            {"type": "object", "required": ["title", "count", "ratio", "urgent", "tags", "owner", "level"],
             "properties": {
               "title": {"type": "string"}, "count": {"type": "integer"}, "ratio": {"type": "number"},
               "urgent": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
               "owner": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string", "format": "email"}, "nick": {"type": "string"}}},
               "level": {"type": "string", "enum": ["low", "high"]},
               "note": {"type": "string"}}}
            """);

        var value = SchemaInstance.Create(schema, "File a printer ticket")!.AsObject();

        Assert.Equal(["title", "count", "ratio", "urgent", "tags", "owner", "level"], value.Select(p => p.Key));
        Assert.Equal("File a printer ticket", value["title"]!.GetValue<string>());
        Assert.Equal(1L, value["count"]!.GetValue<long>());
        Assert.Equal(1.0, value["ratio"]!.GetValue<double>());
        Assert.True(value["urgent"]!.GetValue<bool>());
        Assert.Equal("File a printer ticket", Assert.Single(value["tags"]!.AsArray())!.GetValue<string>());
        Assert.Equal("{\"email\":\"user@example.com\"}", value["owner"]!.ToJsonString());
        Assert.Equal("low", value["level"]!.GetValue<string>());
    }

    [Fact]
    public void Values_the_prompt_spells_out_are_taken_and_typed_also_for_optional_properties()
    {
        var schema = Schema("""
            {"type": "object", "required": ["city", "days", "level"],
             "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "level": {"enum": ["low", "high"]},
                            "metric": {"type": "boolean"}, "country": {"type": "string"}}}
            """);

        var value = SchemaInstance.Create(schema, "Forecast with city=\"New York\", days: 3 and level=high, metric=false.")!;

        Assert.Equal("""{"city":"New York","days":3,"level":"high","metric":false}""", value.ToJsonString());
    }

    [Theory]
    [InlineData("File a ticket: title=\"Printer on fire\"", "Printer on fire")]
    [InlineData("title: 'Printer on fire', please", "Printer on fire")]
    [InlineData("Open one with title=Printer.", "Printer")]
    public void A_spelled_out_value_is_found_after_other_colons(string prompt, string expected)
    {
        var schema = Schema("""{"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}""");

        Assert.Equal(expected, SchemaInstance.Create(schema, prompt)!["title"]!.GetValue<string>());
    }

    [Fact]
    public void Numbers_strings_and_arrays_respect_their_bounds()
    {
        var schema = Schema("""
            {"type": "object", "required": ["n", "x", "code", "short", "list"],
             "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 9}, "x": {"type": "number", "exclusiveMinimum": 10},
                            "code": {"type": "string", "minLength": 12}, "short": {"type": "string", "maxLength": 3},
                            "list": {"type": "array", "minItems": 3, "items": {"type": "integer", "maximum": 0}}}}
            """);

        var value = SchemaInstance.Create(schema, "hi")!;

        Assert.Equal(5L, value["n"]!.GetValue<long>());
        Assert.True(value["x"]!.GetValue<double>() > 10);
        Assert.Equal("hixxxxxxxxxx", value["code"]!.GetValue<string>());
        Assert.Equal("hi", value["short"]!.GetValue<string>());
        Assert.Equal("[0,0,0]", value["list"]!.ToJsonString());
    }

    [Fact]
    public void Const_anyOf_nullable_types_and_local_refs_are_followed()
    {
        var schema = Schema("""
            {"type": "object", "required": ["kind", "either", "maybe", "address"],
             "properties": {"kind": {"const": "ticket"}, "either": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
                            "maybe": {"type": ["null", "boolean"]}, "address": {"$ref": "#/$defs/Address"}},
             "$defs": {"Address": {"type": "object", "required": ["zip"], "properties": {"zip": {"type": "string", "maxLength": 5}}}}}
            """);

        var value = SchemaInstance.Create(schema, "zip=12345")!;

        Assert.Equal("""{"kind":"ticket","either":1,"maybe":true,"address":{"zip":"12345"}}""", value.ToJsonString());
    }

    [Fact]
    public void A_self_referencing_schema_ends()
    {
        var schema = Schema("""
            {"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#/$defs/Node"}}}}}
            """);

        var value = SchemaInstance.Create(schema, "loop")!;

        Assert.Contains("\"next\":{\"next\":", value.ToJsonString());
        Assert.EndsWith("\"loop\"}}}}}}}}", value.ToJsonString());
    }

    [Theory]
    [InlineData("""{"type": "array", "minItems": 2000000000, "items": {"type": "integer"}}""")]
    [InlineData("""{"type": "string", "minLength": 2000000000}""")]
    [InlineData("""{"type": "array", "minItems": 64, "items": {"type": "array", "minItems": 64, "items": {"type": "array", "minItems": 64, "items": {"type": "array", "minItems": 64, "items": {"type": "string", "minLength": 64}}}}}""")]
    public void A_hostile_schema_gets_a_bounded_answer(string json)
    {
        var value = SchemaInstance.Create(Schema(json), "x");

        Assert.InRange(value?.ToJsonString().Length ?? 0, 1, 4 * SchemaInstance.Budget);
    }
}
