namespace AgentCloud.ModelSimulator.Extensions;

internal static class Extensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
