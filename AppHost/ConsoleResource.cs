using AgentCloud.AppHost.Infrastructure;

namespace AgentCloud.AppHost;

/// <summary>
/// The web console: a platform client like any other, calling the API through the Gateway with its signed-in user's
/// key, and served to browsers by the Gateway at /console (the Gateway forwards there by service discovery). Its Data
/// Protection keys (which encrypt session cookies) are kept in the state folder when run locally, so sessions survive a
/// restart; a deployed console keeps them in its container, so a restart there signs its users out.
/// </summary>
public static class ConsoleResource
{
    public const string Name = "console";

    public static IResourceBuilder<ProjectResource> AddConsole(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> gateway)
    {
        var console = builder.AddAgentCloudService<Projects.AgentCloud_Console>(Name)
            .WithReference(gateway)
            .WithEnvironment("Console__GatewayUrl", "http://gateway");
        if (builder.ExecutionContext.IsRunMode)
        {
            // A path of this machine: never in a published manifest, where the container keeps its own key ring.
            console.WithEnvironment("Console__KeysDirectory", Path.Combine(StateDirectory.Resolve(builder.Configuration), "console-keys"));
        }
        gateway.WithReference(console);
        return console;
    }
}
