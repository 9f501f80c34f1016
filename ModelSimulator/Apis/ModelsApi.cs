using System.Text.Json.Serialization;
using AgentCloud.ModelSimulator.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.ModelSimulator.Apis;

/// <summary>OpenAI-compatible model listing.</summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        api.MapGet("/models", ListModels);
        return api;
    }

    public static ModelList ListModels(IOptions<SimulatorOptions> options) =>
        new("list", options.Value.Models.Select(m => new ModelEntry(m, "model", 0, options.Value.InstanceName)).ToList());
}

public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(string Id, string Object, long Created, [property: JsonPropertyName("owned_by")] string OwnedBy);
