using System.Text.Json.Nodes;

namespace AgentCloud.ServiceDefaults.Contracts;

/// <summary>
/// An OpenAI-compatible <c>POST /v1/chat/completions</c> body, validated. <see cref="Body"/> keeps every field the
/// client sent (temperature, tools...) so a proxy can forward what it does not interpret.
/// </summary>
public sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    int? MaxTokens,
    int MinTokens,
    bool Stream,
    bool IncludeUsage,
    string? CacheSalt,
    JsonObject Body);
