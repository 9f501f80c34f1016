using System.Net;
using System.Net.Http.Json;
using AgentCloud.InferenceRouter.Tests.Hosting;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;

namespace AgentCloud.InferenceRouter.Tests;

/// <summary>
/// The router's own wall: inference needs <c>inference</c>; Memory's embedding for a caller passes on the caller's
/// memory capability only with Memory's onward context; a context minted for another service is refused.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class CapabilityTests(RouterPlatform platform)
{
    private HttpClient ClientWith(TenantContext context, params string[] audiences)
    {
        var client = new HttpClient { BaseAddress = platform.Router.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.TryAddWithoutValidation(TenantContextHeaders.Context,
            TestTenantContexts.Mint(context, TimeSpan.FromMinutes(5), audiences: audiences.Length == 0 ? null : audiences));
        return client;
    }

    private TenantContext TenantWith(string? via, params string[] capabilities)
    {
        var tenant = platform.Policies.Add("pro");
        return tenant with { Capabilities = capabilities, Via = via };
    }

    [Fact]
    public async Task A_key_with_only_memory_read_cannot_chat_list_models_or_embed()
    {
        using var client = ClientWith(TenantWith(null, CapabilityCatalogue.MemoryRead));

        var chat = await Chat.PostAsync(client, Chat.Body("hi"));
        var models = await client.GetAsync("/v1/models");
        var embed = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = "x" });

        Assert.All([chat, models, embed], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Contains("'inference'", await chat.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Memorys_onward_context_embeds_on_the_callers_memory_write_but_cannot_chat()
    {
        using var client = ClientWith(TenantWith(ServiceNames.Memory, CapabilityCatalogue.MemoryWrite), ServiceNames.InferenceRouter);

        var embed = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = "remember this" });
        var chat = await Chat.PostAsync(client, Chat.Body("hi"));

        Assert.Equal(HttpStatusCode.OK, embed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
    }

    [Fact]
    public async Task A_memory_capability_without_memorys_onward_context_does_not_embed()
    {
        using var client = ClientWith(TenantWith("sandbox-broker", CapabilityCatalogue.MemoryWrite, CapabilityCatalogue.MemoryRead), ServiceNames.InferenceRouter);

        var embed = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, embed.StatusCode);
    }

    [Fact]
    public async Task A_context_minted_for_memory_is_refused_by_the_router()
    {
        using var client = ClientWith(TenantWith(null, CapabilityCatalogue.Inference, CapabilityCatalogue.MemoryWrite), ServiceNames.Memory);

        var embed = await client.PostAsJsonAsync("/v1/embeddings", new { model = "sim-small", input = "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, embed.StatusCode);
        Assert.Contains("minted for another service", await embed.Content.ReadAsStringAsync());
    }
}
