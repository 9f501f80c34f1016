using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.AppHost;

/// <summary>
/// "Run demo workload" on the Gateway's row of the dashboard: starts the demo resource (three tenants' agents side by
/// side) once more, so its traffic shows in the Gateway's traces, metrics and the console. Enabled while the Gateway
/// runs; refused, with the reason, while a demo run is still going.
/// </summary>
public static class DemoCommand
{
    public const string Name = "run-demo";

    public static IResourceBuilder<ProjectResource> WithRunDemoCommand(this IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ProjectResource> demo) =>
        gateway.WithCommand(Name, "Run demo workload", context => RunAsync(context, demo.Resource), new CommandOptions
        {
            Description = "Runs the demo workload (three tenants' agents) against this Gateway once more.",
            IconName = "Play",
            IsHighlighted = true,
            UpdateState = state => state.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });

    private static async Task<ExecuteCommandResult> RunAsync(ExecuteCommandContext context, ProjectResource demo)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        if (notifications.TryGetCurrentState(demo.Name, out var current)
            && current.Snapshot.State?.Text is { } state && (state == KnownResourceStates.Running || state == KnownResourceStates.Starting))
        {
            return CommandResults.Failure($"The demo workload is still {state.ToLowerInvariant()}; run it again when it has finished.");
        }
        var commands = context.Services.GetRequiredService<ResourceCommandService>();
        var started = await commands.ExecuteCommandAsync(demo, KnownResourceCommands.StartCommand, context.CancellationToken);
        return started.Success ? CommandResults.Success() : CommandResults.Failure(started.Message ?? "The demo workload could not be started.");
    }
}
