using System.Text.Json.Nodes;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Tests;

/// <summary>The prompt layout router and simulator both count: tools first, then the schema asked for, then the turns.</summary>
public sealed class PromptTextTests
{
    [Fact]
    public void Tools_the_response_schema_and_earlier_tool_calls_are_part_of_the_prompt()
    {
        var body = JsonNode.Parse("""
            {"model": "m",
             "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}}},
             "messages": [
               {"role": "user", "content": "use f"},
               {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
               {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "done"}]}]}
            """)!.AsObject();

        var request = ChatRequestReader.TryRead(body, 4096, out var problem);

        Assert.Null(problem);
        Assert.Equal(
            "<tools>\n{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}\n<response_format>\n{\"type\":\"object\"}\n" +
            "<user>\nuse f\n<assistant>\n\n<tool_call>\nf {\"a\":1}\n<tool>\ndone\n",
            PromptText.Render(request!));
        Assert.Equal("call_1", request!.Messages[2].ToolCallId);
        Assert.Equal(new ChatToolCall("call_1", "f", "{\"a\":1}"), Assert.Single(request.Messages[1].ToolCalls));
    }

    [Fact]
    public void Without_tools_the_prompt_is_the_messages_alone()
    {
        var request = ChatRequestReader.TryRead(JsonNode.Parse("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": "auto"}""")!.AsObject(), 4096, out _)!;

        Assert.Equal("<user>\nhi\n", PromptText.Render(request));
        Assert.Equal(ToolChoiceMode.None, request.ToolChoice.Mode);
    }
}
