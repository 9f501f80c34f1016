using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace AgentCloud.AppHost.Tests;

/// <summary>The README's promise: the OpenAI .NET SDK and Microsoft.Extensions.AI's IChatClient, pointed at the Gateway with a tenant key, work unchanged.</summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenAiClientTests(PlatformFixture platform)
{
    private async Task<OpenAIClient> ClientAsync()
    {
        var (_, key) = await platform.NewTenantAsync("pro", "openai-sdk");
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1") });
    }

    [Fact]
    public async Task The_openai_sdk_chats_streams_and_embeds_through_the_gateway()
    {
        var openai = await ClientAsync();
        var chat = openai.GetChatClient("sim-small");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Say hello to the platform.")], new ChatCompletionOptions { MaxOutputTokenCount = 16 });
        var streamed = new List<string>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream a few words.")], new ChatCompletionOptions { MaxOutputTokenCount = 8 }))
        {
            streamed.AddRange(update.ContentUpdate.Select(p => p.Text));
        }
        var embedding = await openai.GetEmbeddingClient("sim-small").GenerateEmbeddingAsync("a sentence to embed");

        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 16);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.NotEmpty(string.Concat(streamed));
        Assert.True(embedding.Value.ToFloats().Length > 0);
    }

    [Fact]
    public async Task An_ichatclient_over_the_openai_sdk_answers_through_the_gateway()
    {
        IChatClient client = (await ClientAsync()).GetChatClient("sim-small").AsIChatClient();

        var response = await client.GetResponseAsync("What does a multi-tenant agent platform do?", new ChatOptions { MaxOutputTokens = 16 });

        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.True(response.Usage?.OutputTokenCount > 0);
    }

    [Fact]
    public async Task A_free_tenants_sdk_default_chat_without_max_tokens_is_served()
    {
        var (_, key) = await platform.NewTenantAsync("free", "sdk-defaults");
        var openai = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1") });

        // No options at all: what the SDK sends by default, with no max_tokens (it was refused 429 before tiers had an output budget).
        ChatCompletion completion = await openai.GetChatClient("sim-small").CompleteChatAsync([new UserChatMessage("Say hello.")]);

        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 1024);
    }
}
