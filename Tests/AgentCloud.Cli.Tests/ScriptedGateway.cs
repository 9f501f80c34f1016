using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Tests;

/// <summary>
/// Answers the CLI's calls from a script (method and path to status and JSON) and records what it was sent, including
/// the key, so a test can check the exact call a command makes.
/// </summary>
internal sealed class ScriptedGateway(Func<HttpRequestMessage, (HttpStatusCode Status, string Json)> answer) : HttpMessageHandler
{
    public List<(string Method, string PathAndQuery, JsonNode? Body, string? Authorization)> Seen { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken));
        Seen.Add((request.Method.Method, request.RequestUri!.PathAndQuery, body, request.Headers.Authorization?.ToString()));
        var (status, json) = answer(request);
        return new HttpResponseMessage(status)
        {
            Content = new StringContent(json, Encoding.UTF8, (int)status >= 400 ? "application/problem+json" : "application/json"),
        };
    }

    public static string Problem(int status, string detail) =>
        new JsonObject { ["type"] = "https://agentcloud.dev/problems/x", ["title"] = "refused", ["status"] = status, ["detail"] = detail }.ToJsonString();

    /// <summary>Runs the CLI against this script with the given environment (no profile file unless it names one).</summary>
    public async Task<(int Exit, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string>? env, TextReader? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, () => new HttpClient(this, disposeHandler: false),
            name => env?.GetValueOrDefault(name) ?? (name == "AGENTCLOUD_PROFILE_FILE" ? "/nonexistent/profiles.json" : null), stdin: stdin);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) =>
        RunAsync(new Dictionary<string, string> { ["AGENTCLOUD_URL"] = "http://127.0.0.1:9", ["AGENTCLOUD_KEY"] = "ac_k_secret" }, null, args);
}
