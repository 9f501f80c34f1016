using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Extensions;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>Which sandbox levels a tenant's isolation override may name: the broker's ladder and the kubernetes level, never none.</summary>
public sealed class IsolationOverrideValidationTests
{
    private static string? Validate(params string?[] levels) =>
        TenantValidation.Validate(new TenantSpec(null, null, null, null, null, null, new IsolationOverrides { SandboxIsolationLevels = levels.Select(l => l!).ToList() }, null),
            creating: false, new ModelCatalog(Microsoft.Extensions.Options.Options.Create(new ModelCatalogueOptions())));

    [Fact]
    public void An_override_naming_kubernetes_first_is_accepted() => Assert.Null(Validate("kubernetes", "gvisor"));

    [Fact]
    public void An_unknown_level_is_refused_listing_kubernetes_among_the_known() =>
        Assert.Contains("kubernetes", Validate("k8s") ?? "");

    [Fact]
    public void None_is_still_refused() => Assert.NotNull(Validate("kubernetes", "none"));
}
