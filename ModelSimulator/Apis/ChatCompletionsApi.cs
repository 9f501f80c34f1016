using System.Text.Json;
using AgentCloud.ModelSimulator.Extensions;
using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.ModelSimulator.Apis;

/// <summary>OpenAI-compatible chat completions, plain or as server-sent events.</summary>
public static class ChatCompletionsApi
{
    public static RouteGroupBuilder MapChatCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        api.MapPost("/chat/completions", CreateCompletion);
        return api;
    }

    public static async Task<Results<JsonHttpResult<ChatCompletion>, ProblemHttpResult, EmptyHttpResult>> CreateCompletion(
        HttpContext http, ChatEngine engine, AnswerPlanner planner, SimTokenizer tokenizer, IOptions<SimulatorOptions> options, TimeProvider time)
    {
        var o = options.Value;
        var (body, malformed) = await OpenAiJson.ReadObjectAsync(http.Request.Body, http.RequestAborted);
        if (body is null)
        {
            return Problems.BadRequest(malformed!);
        }
        var request = ChatRequestReader.TryRead(body, o.MaxModelTokens, out var problem);
        if (request is null)
        {
            return Problems.BadRequest(problem!);
        }
        if (!o.Models.Contains(request.Model, StringComparer.Ordinal))
        {
            return Problems.NotFound($"The model '{request.Model}' is not served here; models: {string.Join(", ", o.Models)}.");
        }
        var prompt = PromptText.Render(request);
        var ids = tokenizer.Encode(prompt);
        // Images are not looked at; they are billed at the fixed estimate the router reserves for them.
        var imageTokens = PromptText.ImageTokensOf(request);
        if (ids.Count + imageTokens + (request.MaxTokens ?? 0) > o.MaxModelTokens)
        {
            return Problems.Create(400, "context-length-exceeded", "Context length exceeded",
                $"The prompt has {ids.Count + imageTokens} tokens and max_tokens asks for {request.MaxTokens ?? 0} more; the model's context is {o.MaxModelTokens} tokens.");
        }
        var answer = planner.Plan(request, prompt, o.MaxModelTokens - ids.Count - imageTokens);
        using var run = await engine.StartAsync(new ChatJob(request.Model, prompt, ids, request.MaxTokens, request.MinTokens, request.CacheSalt, answer), http.RequestAborted);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var report = new SimulatorReport(o.InstanceName, run.ModelledTtft.TotalMilliseconds, run.Queued.TotalMilliseconds);
        var promptTokens = run.PromptTokens + imageTokens;
        var usage = new Usage(promptTokens, run.CompletionTokens, promptTokens + run.CompletionTokens, new PromptTokensDetails(run.CachedTokens));
        if (request.Stream)
        {
            await StreamAsync(http, run, id, created, request, usage, report);
            return TypedResults.Empty;
        }
        // Every piece is awaited so a whole answer takes as long as a streamed one.
        await foreach (var _ in run.TokensAsync(http.RequestAborted))
        {
        }
        var calls = run.Answer.ProducedToolCalls.Select(c => new ToolCallShape(c.Id, "function", new FunctionCallShape(c.Name, c.Arguments))).ToList();
        var message = new AssistantMessage("assistant", run.Answer.Content, calls.Count > 0 ? calls : null);
        return TypedResults.Json(new ChatCompletion(id, "chat.completion", created, request.Model,
            [new Choice(0, message, run.FinishReason)], usage, report), OpenAiShapes.Json);
    }

    private static async Task StreamAsync(HttpContext http, ChatRun run, string id, long created, ChatRequest request, Usage usage, SimulatorReport report)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var ct = http.RequestAborted;
        ChatCompletionChunk Chunk(Delta delta, string? finish) => new(id, "chat.completion.chunk", created, request.Model, [new ChunkChoice(0, delta, finish)]);
        var calls = run.Answer.ToolCalls;
        await WriteEventAsync(http, Chunk(new Delta(Role: "assistant", Content: calls.Count == 0 ? "" : null), null), ct);
        await foreach (var piece in run.TokensAsync(ct))
        {
            var delta = piece switch
            {
                { IsContent: true } => new Delta(Content: piece.Text),
                { ToolCallStart: true } => new Delta(ToolCalls: [new ToolCallDelta(piece.ToolIndex, calls[piece.ToolIndex].Id, "function", new FunctionDelta(piece.Text, ""))]),
                _ => new Delta(ToolCalls: [new ToolCallDelta(piece.ToolIndex, Function: new FunctionDelta(Arguments: piece.Text))]),
            };
            await WriteEventAsync(http, Chunk(delta, null), ct);
        }
        await WriteEventAsync(http, Chunk(new Delta(), run.FinishReason), ct);
        if (request.IncludeUsage)
        {
            await WriteEventAsync(http, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model, [], usage, report), ct);
        }
        await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static async Task WriteEventAsync(HttpContext http, ChatCompletionChunk chunk, CancellationToken ct)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, OpenAiShapes.Json) + "\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
