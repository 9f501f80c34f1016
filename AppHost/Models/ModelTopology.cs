namespace AgentCloud.AppHost.Models;

/// <summary>Reads <c>AgentCloud:Models</c> (or, when absent, the simulator defaults) and refuses a configuration with problems.</summary>
public static class ModelTopology
{
    public static ModelsConfiguration Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(ModelsConfiguration.SectionName);
        if (!section.Exists())
        {
            return SimulatorDefaults.Create();
        }
        var config = section.Get<ModelsConfiguration>() ?? new ModelsConfiguration();
        foreach (var e in config.Endpoints)
        {
            e.Kind = e.Kind.Trim().ToLowerInvariant();
            e.Placement = e.Placement.Trim().ToLowerInvariant();
        }
        var problems = ModelsValidation.Problems(config);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"{ModelsConfiguration.SectionName} has {problems.Count} problem(s):\n  " + string.Join("\n  ", problems));
        }
        return config;
    }
}
