using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>An OpenAI-compatible <c>POST /v1/embeddings</c> body, validated.</summary>
public sealed record EmbeddingRequest(string Model, IReadOnlyList<EmbeddingInput> Inputs, int? Dimensions, JsonObject Body);

/// <summary>One input to embed: a text, or the token ids a client already encoded it to (LangChain sends these).</summary>
public sealed record EmbeddingInput(string? Text, IReadOnlyList<int>? Tokens)
{
    public static EmbeddingInput Of(string text) => new(text, null);

    public static EmbeddingInput Of(IReadOnlyList<int> tokens) => new(null, tokens);
}

/// <summary>
/// Validates an embeddings body. <c>input</c> is any of OpenAI's four shapes: a string, an array of strings, an array
/// of token ids (one input), or an array of token-id arrays.
/// </summary>
public static class EmbeddingRequestReader
{
    public const int MaxInputs = 2048;

    private const string Shapes = "a string, an array of strings, an array of token ids, or an array of token-id arrays";

    public static EmbeddingRequest? TryRead(JsonObject body, out string? problem)
    {
        problem = null;
        if (!OpenAiJson.TryString(body["model"], out var model) || string.IsNullOrWhiteSpace(model))
        {
            problem = "'model' is required and must be a non-empty string.";
            return null;
        }
        var inputs = ReadInputs(body["input"], out problem);
        if (inputs is null)
        {
            return null;
        }
        int? dimensions = null;
        if (body["dimensions"] is not null)
        {
            if (!OpenAiJson.TryInt(body["dimensions"], out var d) || d < 1 || d > 4096)
            {
                problem = "'dimensions' must be an integer from 1 to 4096.";
                return null;
            }
            dimensions = (int)d;
        }
        return new EmbeddingRequest(model, inputs, dimensions, body);
    }

    private static List<EmbeddingInput>? ReadInputs(JsonNode? input, out string? problem)
    {
        problem = null;
        if (OpenAiJson.TryString(input, out var single))
        {
            return ReadText(single, "'input'", out problem) is { } one ? [one] : null;
        }
        if (input is not JsonArray array || array.Count is 0 or > MaxInputs)
        {
            problem = $"'input' is required: {Shapes}, with 1 to {MaxInputs} inputs.";
            return null;
        }
        // An array of numbers is one input already tokenized; otherwise each item is one input.
        if (array[0] is JsonValue first && first.GetValueKind() == System.Text.Json.JsonValueKind.Number)
        {
            return ReadTokens(array, "'input'", out problem) is { } tokens ? [tokens] : null;
        }
        var inputs = new List<EmbeddingInput>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var where = $"'input[{i}]'";
            var item = OpenAiJson.TryString(array[i], out var text) ? ReadText(text, where, out problem)
                : array[i] is JsonArray ids ? ReadTokens(ids, where, out problem)
                : null;
            if (item is null)
            {
                problem ??= $"{where} must be a string or an array of token ids; 'input' is {Shapes}.";
                return null;
            }
            inputs.Add(item);
        }
        return inputs;
    }

    private static EmbeddingInput? ReadText(string text, string where, out string? problem)
    {
        problem = string.IsNullOrWhiteSpace(text) ? $"{where} must not be an empty string." : null;
        return problem is null ? EmbeddingInput.Of(text) : null;
    }

    private static EmbeddingInput? ReadTokens(JsonArray ids, string where, out string? problem)
    {
        problem = null;
        if (ids.Count == 0)
        {
            problem = $"{where} must not be an empty token array.";
            return null;
        }
        var tokens = new int[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            if (!OpenAiJson.TryInt(ids[i], out var id) || id is < 0 or > int.MaxValue)
            {
                problem = $"{where} is a token array, so every item must be a non-negative integer token id; item {i} is not.";
                return null;
            }
            tokens[i] = (int)id;
        }
        return EmbeddingInput.Of(tokens);
    }
}
