using System.Net;
using System.Text.Json.Nodes;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;
using Microsoft.ML.Tokenizers;

namespace AgentCloud.InferenceRouter.Tests.OpenAi;

/// <summary>Image parts go to the model as sent and count a fixed estimate each, in chats and in responses.</summary>
[Collection(RouterCollection.Name)]
public sealed class ImageContentTests(RouterPlatform platform)
{
    private static readonly TiktokenTokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");
    private const string Png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    [Fact]
    public async Task A_chat_with_image_parts_is_served_and_each_image_counts_the_fixed_estimate()
    {
        var tenant = platform.Policies.Add("free");
        using var client = platform.Router.ClientFor(tenant);
        var text = "What is in these pictures? " + Guid.NewGuid();
        var body = Chat.Body("", extra: b => b["messages"]![0]!["content"] = new JsonArray(
            new JsonObject { ["type"] = "text", ["text"] = text },
            new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = Png, ["detail"] = "low" } },
            new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "https://example.com/cat.jpg" } }));
        var textOnly = Tokenizer.CountTokens(PromptText.Render(ChatRequestReader.TryRead(Chat.Body(text), 4096, out _)!));

        var answer = await Chat.CompleteAsync(client, body);

        Assert.Equal(textOnly + 2 * PromptText.ImageTokens, Chat.PromptTokens(answer));
        var usage = Assert.Single(await UsageStream.WaitForAsync(platform.Redis.Connection, tenant.TenantId, 1));
        Assert.Equal(textOnly + 2 * PromptText.ImageTokens, usage.InputTokens);
    }

    [Fact]
    public async Task A_response_with_an_input_image_is_served()
    {
        using var client = platform.Router.ClientFor(platform.Policies.Add("free"));
        var input = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "input_text", ["text"] = "Describe this " + Guid.NewGuid() },
                new JsonObject { ["type"] = "input_image", ["image_url"] = Png, ["detail"] = "auto" }),
        });

        var response = await ResponsesCalls.CreateAsync(client, ResponsesCalls.Body(input));

        Assert.Equal("completed", response["status"]!.GetValue<string>());
        Assert.True(response["usage"]!["input_tokens"]!.GetValue<int>() > PromptText.ImageTokens);
    }

    [Fact]
    public async Task Image_tokens_count_against_the_tenants_context_length()
    {
        var tenant = platform.Policies.Add("free", models: [new ModelEntitlement("sim-small", PromptText.ImageTokens)]);
        using var client = platform.Router.ClientFor(tenant);
        var body = Chat.Body("", extra: b => b["messages"]![0]!["content"] = new JsonArray(
            new JsonObject { ["type"] = "text", ["text"] = "look" },
            new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = Png } }));

        using var response = await Chat.PostAsync(client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("context-length", (await response.Content.ReadAsStringAsync()));
    }
}
