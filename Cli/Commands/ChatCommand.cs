using System.CommandLine;
using System.Text.Json.Nodes;
using AgentCloud.Cli.Infrastructure;

namespace AgentCloud.Cli.Commands;

/// <summary><c>agentcloud chat "message"</c>: one OpenAI-compatible chat completion, streamed with <c>--stream</c>.</summary>
internal static class ChatCommand
{
    public static Command Build(CliRunner runner)
    {
        var message = new Argument<string>("message") { Description = "What to say" };
        var model = new Option<string>("--model") { Description = "Model id", DefaultValueFactory = _ => "sim-small" };
        var system = new Option<string?>("--system") { Description = "A system prompt" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Most tokens to generate" };
        var stream = new Option<bool>("--stream") { Description = "Print the answer as it is generated" };
        var chat = new Command("chat", "Ask a model, through the Gateway, as the key's tenant") { message, model, system, maxTokens, stream };
        runner.Bind(chat, async (c, ct) =>
        {
            var messages = new JsonArray();
            if (c.Parse.GetValue(system) is { } s)
            {
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = s });
            }
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = c.Parse.GetValue(message) });
            var body = new JsonObject { ["model"] = c.Parse.GetValue(model), ["messages"] = messages };
            if (c.Parse.GetValue(maxTokens) is { } max)
            {
                body["max_tokens"] = max;
            }

            if (c.Parse.GetValue(stream))
            {
                body["stream"] = true;
                body["stream_options"] = new JsonObject { ["include_usage"] = true };
                await foreach (var chunk in c.Gateway.StreamAsync("/v1/chat/completions", body, ct))
                {
                    if (c.Output.Json)
                    {
                        c.Output.WriteLine(chunk.ToJsonString());
                    }
                    else if (chunk["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["delta"]?["content"]?.GetValue<string>() is { } delta)
                    {
                        c.Output.Write(delta);
                    }
                }
                if (!c.Output.Json) c.Output.WriteLine("");
                return ExitCodes.Ok;
            }

            var answer = await c.Output.WithProgressAsync("Thinking…", () => c.Gateway.PostAsync("/v1/chat/completions", body, ct));
            if (c.Output.Json)
            {
                c.Output.WriteJson(answer);
            }
            else
            {
                c.Output.WriteLine(CliOutput.Text(answer?["choices"]?[0]?["message"]?["content"]));
                c.Output.WriteLine($"[{CliOutput.Text(answer?["usage"]?["prompt_tokens"])} prompt + {CliOutput.Text(answer?["usage"]?["completion_tokens"])} completion tokens]");
            }
            return ExitCodes.Ok;
        });
        return chat;
    }
}
