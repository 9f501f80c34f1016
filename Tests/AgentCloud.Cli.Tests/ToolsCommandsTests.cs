using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Tests;

/// <summary><c>agentcloud tools</c> against a scripted <c>/v1/mcp</c>: answers as server-sent events or JSON, refusals as problem+json.</summary>
public sealed class ToolsCommandsTests
{
    private sealed class ScriptedMcp(Func<JsonObject, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(string Path, JsonObject Body, string? Authorization)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = (JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)) as JsonObject)!;
            Seen.Add((request.RequestUri!.AbsolutePath, body, request.Headers.Authorization?.ToString()));
            return answer(body);
        }
    }

    private static HttpResponseMessage Sse(JsonObject request, JsonNode result) => new(HttpStatusCode.OK)
    {
        Content = new StringContent($"event: message\ndata: {new JsonObject { ["jsonrpc"] = "2.0", ["id"] = request["id"]!.GetValue<int>(), ["result"] = result }.ToJsonString()}\n\n",
            Encoding.UTF8, "text/event-stream"),
    };

    private static async Task<(int Exit, string Out, string Err)> RunAsync(ScriptedMcp mcp, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync([.. args, "--url", "http://127.0.0.1:9", "--key", "ac_k_secret"], stdout, stderr, () => new HttpClient(mcp),
            name => name == "AGENTCLOUD_PROFILE_FILE" ? "/nonexistent/profiles.json" : null);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Tools_list_prints_the_tools_from_an_event_stream_answer()
    {
        var mcp = new ScriptedMcp(r => Sse(r, new JsonObject { ["tools"] = new JsonArray(new JsonObject { ["name"] = "tickets.create", ["description"] = "Create a ticket" }) }));

        var (exit, stdout, _) = await RunAsync(mcp, "tools", "list");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("tickets.create", stdout);
        var (path, body, auth) = Assert.Single(mcp.Seen);
        Assert.Equal(("/v1/mcp", "tools/list", "Bearer ac_k_secret"), (path, body["method"]!.GetValue<string>(), auth));
    }

    [Fact]
    public async Task Tools_call_sends_typed_arguments_and_exits_1_when_the_tool_reports_an_error()
    {
        var mcp = new ScriptedMcp(r => Sse(r, new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "'text' is required" }),
            ["isError"] = true,
        }));

        var (exit, stdout, _) = await RunAsync(mcp, "tools", "call", "memory.search", "--arg", "collection=notes", "--arg", "limit=3", "--args", """{"filter":{"a":1}}""");

        Assert.Equal(ExitCodes.ApiError, exit);
        Assert.Contains("'text' is required", stdout);
        var arguments = mcp.Seen.Single().Body["params"]!["arguments"]!;
        Assert.Equal(("notes", 3, 1), (arguments["collection"]!.GetValue<string>(), arguments["limit"]!.GetValue<int>(), arguments["filter"]!["a"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_refused_tool_is_the_forbidden_exit_code_with_the_gateways_detail()
    {
        var mcp = new ScriptedMcp(_ => new HttpResponseMessage(HttpStatusCode.Forbidden)
        {
            Content = new StringContent("""{"type":"https://agentcloud.dev/problems/tool-not-permitted","title":"Tool not permitted","status":403,"detail":"'http.fetch' is not a tool this key may use."}""",
                Encoding.UTF8, "application/problem+json"),
        });

        var (exit, _, stderr) = await RunAsync(mcp, "tools", "call", "http.fetch", "--arg", "url=https://example.org");

        Assert.Equal(ExitCodes.Unauthorized, exit);
        Assert.Contains("'http.fetch' is not a tool this key may use.", stderr);
    }

    [Theory]
    [InlineData("--arg", "novalue")]
    [InlineData("--args", "[1,2]")]
    [InlineData("--args", "{not json")]
    public async Task Malformed_arguments_are_a_usage_error(string flag, string value)
    {
        var mcp = new ScriptedMcp(r => Sse(r, new JsonObject()));

        var (exit, _, _) = await RunAsync(mcp, "tools", "call", "memory.search", flag, value);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Empty(mcp.Seen);
    }
}
