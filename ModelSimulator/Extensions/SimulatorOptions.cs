using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ModelSimulator.Extensions;

/// <summary>The simulated model server's settings: the upstream API key the InferenceRouter presents, and the models it serves.</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "ModelSimulator";

    /// <summary>Like a real vLLM or OpenAI upstream, the simulator knows nothing of tenants: it only checks its API key.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ApiKey { get; set; } = "";

    /// <summary>A name for this instance (e.g. shared-0, dedicated-acme), reported as the owner of its models.</summary>
    public string InstanceName { get; set; } = "simulator";

    [MinLength(1)]
    public List<string> Models { get; set; } = ["sim-small", "sim-large"];
}
