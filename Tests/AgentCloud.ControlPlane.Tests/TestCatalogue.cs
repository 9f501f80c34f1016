using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Tests.Shared;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Model catalogues for unit tests of the ControlPlane's domain, as configuration would bind them.</summary>
internal static class TestCatalogue
{
    public static ModelCatalog Simulated { get; } = Of(new ModelCatalogueOptions
    {
        Models = [.. SimulatedModels.Models.Select(m => new CatalogueModel { Id = m.Id, MaxContextTokens = m.MaxContextTokens })],
    });

    public static ModelCatalog Of(ModelCatalogueOptions options) => new(Microsoft.Extensions.Options.Options.Create(options));
}
