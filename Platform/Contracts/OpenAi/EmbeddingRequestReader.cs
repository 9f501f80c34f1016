using System.Text.Json.Nodes;

namespace AgentCloud.Platform.Contracts;

/// <summary>An OpenAI-compatible <c>POST /v1/embeddings</c> body, validated.</summary>
public sealed record EmbeddingRequest(string Model, IReadOnlyList<string> Inputs, int? Dimensions, JsonObject Body);

/// <summary>Validates an embeddings body: one string or an array of non-empty strings.</summary>
public static class EmbeddingRequestReader
{
    public const int MaxInputs = 2048;

    public static EmbeddingRequest? TryRead(JsonObject body, out string? problem)
    {
        problem = null;
        if (!OpenAiJson.TryString(body["model"], out var model) || string.IsNullOrWhiteSpace(model))
        {
            problem = "'model' is required and must be a non-empty string.";
            return null;
        }
        var inputs = new List<string>();
        if (OpenAiJson.TryString(body["input"], out var single))
        {
            inputs.Add(single);
        }
        else if (body["input"] is JsonArray array && array.Count is > 0 and <= MaxInputs)
        {
            foreach (var item in array)
            {
                if (!OpenAiJson.TryString(item, out var text))
                {
                    problem = "'input' items must be strings; token arrays are not supported.";
                    return null;
                }
                inputs.Add(text);
            }
        }
        else
        {
            problem = $"'input' is required: a string or an array of 1 to {MaxInputs} strings.";
            return null;
        }
        if (inputs.Any(string.IsNullOrWhiteSpace))
        {
            problem = "'input' must not contain empty strings.";
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
}
