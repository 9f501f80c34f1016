namespace AgentCloud.AppHost.Models;

/// <summary>
/// The topology when <c>AgentCloud:Models</c> is not configured: the ModelSimulator's two models on a shared pool of two
/// simulators and one dedicated to the enterprise tier, priced as the demo has always been.
/// </summary>
public static class SimulatorDefaults
{
    private static readonly DateTimeOffset PricedSince = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ModelsConfiguration Create() => new()
    {
        Catalogue =
        [
            new() { Id = "sim-small", ContextLength = 8_192, Prices = new() { Input = 0.15m, CachedInput = 0.075m, Output = 0.60m, EffectiveFrom = PricedSince } },
            new() { Id = "sim-large", ContextLength = 32_768, Prices = new() { Input = 2.50m, CachedInput = 1.25m, Output = 10.00m, EffectiveFrom = PricedSince } },
        ],
        Endpoints =
        [
            Simulator("model-simulator", "shared-0", "shared"),
            Simulator("model-simulator-2", "shared-1", "shared"),
            Simulator("model-simulator-dedicated", "dedicated-enterprise-0", "dedicated", tier: "enterprise"),
        ],
    };

    private static EndpointDefinition Simulator(string name, string instance, string placement, string? tier = null) => new()
    {
        Name = name, Kind = EndpointKindNames.Simulator, Placement = placement, Tier = tier, SimulatorInstance = instance,
        Models = [new() { Id = "sim-small" }, new() { Id = "sim-large" }],
    };
}
