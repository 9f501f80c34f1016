using System.Text.Json.Nodes;
using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class ToolSelectionTests
{
    private static ChatRequest Request(string body)
    {
        var request = ChatRequestReader.TryRead(JsonNode.Parse(body)!.AsObject(), 4096, out var problem);
        Assert.True(request is not null, problem);
        return request;
    }

    private const string Tools = """
        "tools": [{"type": "function", "function": {"name": "get_weather"}}, {"type": "function", "function": {"name": "tickets.create"}}]
        """;

    private static string Names(ChatRequest request) => string.Join(",", ToolSelection.Choose(request).Select(t => t.Name));

    [Theory]
    [InlineData("What is the weather?", "")]
    [InlineData("Use get_weather please", "get_weather")]
    [InlineData("USE GET_WEATHER", "get_weather")]
    [InlineData("use get_weathers", "")]
    [InlineData("run tickets.create, then get_weather.", "tickets.create,get_weather")]
    public void Auto_calls_the_tools_the_last_user_message_names_in_the_order_named(string text, string expected) =>
        Assert.Equal(expected, Names(Request($$"""{"model": "m", "messages": [{"role": "user", "content": "{{text}}"}], {{Tools}}}""")));

    [Fact]
    public void Auto_answers_in_prose_after_a_tool_result_even_though_the_user_named_the_tool()
    {
        var request = Request($$$"""
            {"model": "m", {{{Tools}}}, "messages": [
              {"role": "user", "content": "use get_weather"},
              {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
              {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]}
            """);

        Assert.Empty(ToolSelection.Choose(request));
    }

    [Theory]
    [InlineData("\"none\"", "use get_weather", "")]
    [InlineData("\"required\"", "nothing named", "get_weather")]
    [InlineData("\"required\"", "tickets.create now", "tickets.create")]
    [InlineData("{\"type\": \"function\", \"function\": {\"name\": \"tickets.create\"}}", "use get_weather", "tickets.create")]
    public void Tool_choice_decides_before_the_text(string choice, string text, string expected) =>
        Assert.Equal(expected, Names(Request($$"""{"model": "m", "messages": [{"role": "user", "content": "{{text}}"}], {{Tools}}, "tool_choice": {{choice}}}""")));

    [Fact]
    public void Without_parallel_tool_calls_only_the_first_named_tool_is_called() =>
        Assert.Equal("get_weather", Names(Request($$"""{"model": "m", "messages": [{"role": "user", "content": "get_weather and tickets.create"}], {{Tools}}, "parallel_tool_calls": false}""")));

    [Fact]
    public void Without_tools_nothing_is_called() =>
        Assert.Empty(ToolSelection.Choose(Request("""{"model": "m", "messages": [{"role": "user", "content": "get_weather"}]}""")));
}
