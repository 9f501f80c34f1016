namespace AgentCloud.Platform.Contracts;

/// <summary>
/// The services' names: their AppHost resource names, service-discovery hosts, Gateway cluster ids, and the audience
/// of the tenant contexts minted for them.
/// </summary>
public static class ServiceNames
{
    /// <summary>The public entry point; it is never the audience of a tenant context, it mints them.</summary>
    public const string Gateway = "gateway";
    public const string ControlPlane = "controlplane";
    public const string InferenceRouter = "inference-router";
    public const string SandboxBroker = "sandbox-broker";
    public const string UsageAggregator = "usage-aggregator";
    public const string Memory = "memory";
    public const string Tools = "tools";

    public static readonly IReadOnlyList<string> All = [ControlPlane, InferenceRouter, SandboxBroker, UsageAggregator, Memory, Tools];

    /// <summary>
    /// The services each service calls on the caller's behalf (directly or further down), so the Gateway mints an
    /// onward context for each: Memory embeds through the router, the router and the broker read policy and mint run
    /// keys at the ControlPlane; the Tools service calls all of those for its built-in tools.
    /// </summary>
    public static IReadOnlyList<string> OnwardOf(string service) => service switch
    {
        Memory => [InferenceRouter, ControlPlane],
        // The tool executor reveals vault credentials and calls Memory and the broker for built-in tools, which go further.
        Tools => [ControlPlane, Memory, SandboxBroker, InferenceRouter],
        InferenceRouter or SandboxBroker => [ControlPlane],
        _ => [],
    };

    private static readonly Dictionary<string, string> ByApplication = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AgentCloud.ControlPlane"] = ControlPlane,
        ["AgentCloud.InferenceRouter"] = InferenceRouter,
        ["AgentCloud.SandboxBroker"] = SandboxBroker,
        ["AgentCloud.UsageAggregator"] = UsageAggregator,
        ["AgentCloud.Memory"] = Memory,
        ["AgentCloud.Tools"] = Tools,
    };

    /// <summary>The service an application (assembly) name stands for, or null.</summary>
    public static string? ForApplication(string applicationName) =>
        ByApplication.TryGetValue(applicationName, out var name) ? name : null;
}
