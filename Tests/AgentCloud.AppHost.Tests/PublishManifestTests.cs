using System.Text.Json;
using AgentCloud.Tests.Shared;

namespace AgentCloud.AppHost.Tests;

/// <summary>The manifest azd deploys from: in containers mode it holds every service and the three stores.</summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task Containers_mode_manifest_contains_all_services_and_stores()
    {
        var output = Path.Combine(Path.GetTempPath(), $"agentcloud-manifest-{Guid.NewGuid():N}.json");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var appHost = Projects.AgentCloud_AppHost.ProjectPath;

        await LocalProcess.RunAsync("dotnet",
            ["run", "--project", appHost, "--no-build", "-c", configuration, "--no-launch-profile", "--",
             "--publisher", "manifest", "--output-path", output, "--AgentCloud:Infrastructure=containers"],
            timeout: TimeSpan.FromMinutes(3));

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        var resources = manifest.RootElement.GetProperty("resources");
        foreach (var service in new[] { "gateway", "controlplane", "inference-router", "sandbox-broker", "usage-aggregator", "memory", "model-simulator", "tools" })
        {
            Assert.StartsWith("project", resources.GetProperty(service).GetProperty("type").GetString());
        }
        foreach (var store in new[] { "redis", "postgres", "qdrant" })
        {
            Assert.StartsWith("container", resources.GetProperty(store).GetProperty("type").GetString());
        }
        Assert.Equal("qdrant/qdrant:v1.15.4", resources.GetProperty("qdrant").GetProperty("image").GetString()?.Split('/', 2)[1]);
        Assert.Contains("Database=controlplane", resources.GetProperty("controlplane-db").GetProperty("connectionString").GetString());
        Assert.Contains("Database=usage", resources.GetProperty("usage-db").GetProperty("connectionString").GetString());
        File.Delete(output);
    }
}
