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

    [Fact]
    public async Task Manifest_carries_no_path_of_the_publishing_machine()
    {
        using var manifest = await PublishAsync();

        // The state directory too: as root it is /var/lib/agentcloud, a folder of this machine all the same.
        var stateDirectory = AgentCloud.AppHost.Infrastructure.StateDirectory.Resolve(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var machinePaths = new[] { RepositoryRoot(), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Path.GetTempPath().TrimEnd('/'), AppContext.BaseDirectory.TrimEnd('/'), stateDirectory }
            .Where(p => p.Length > 1).ToList();
        var offending = Strings(manifest.RootElement, "$")
            // A project's path is azd's build input, relative to the manifest; it never reaches a running service.
            .Where(s => !(s.Where.EndsWith(".path", StringComparison.Ordinal) && !Path.IsPathRooted(s.Value)))
            .Where(s => machinePaths.Any(p => s.Value.Contains(p, StringComparison.Ordinal)))
            .Select(s => $"{s.Where} = {s.Value}")
            .ToList();
        Assert.Empty(offending);
        foreach (var project in manifest.RootElement.GetProperty("resources").EnumerateObject().Where(r => r.Value.TryGetProperty("path", out _)))
        {
            Assert.False(Path.IsPathRooted(project.Value.GetProperty("path").GetString()), $"{project.Name}'s path is absolute");
        }
    }

    [Fact]
    public async Task Deployed_broker_runs_sandboxes_on_kubernetes_with_its_settings_as_parameters()
    {
        using var manifest = await PublishAsync();

        var resources = manifest.RootElement.GetProperty("resources");
        var env = resources.GetProperty("sandbox-broker").GetProperty("env");
        Assert.Equal("true", env.GetProperty("SandboxBroker__Kubernetes__Enabled").GetString());
        Assert.Equal("{sandbox-kubeconfig.value}", env.GetProperty("SandboxBroker__Kubernetes__KubeconfigYaml").GetString());
        Assert.Equal("{sandbox-namespace.value}", env.GetProperty("SandboxBroker__Kubernetes__Namespace").GetString());
        Assert.Equal("{sandbox-image.value}", env.GetProperty("SandboxBroker__Kubernetes__Image").GetString());
        Assert.True(resources.GetProperty("sandbox-kubeconfig").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.Equal("agentcloud-sandboxes", resources.GetProperty("sandbox-namespace").GetProperty("inputs").GetProperty("value").GetProperty("default").GetProperty("value").GetString());
        // No level of the local ladder: a container app has no user namespaces, KVM or runsc.
        var disabled = env.EnumerateObject().Where(p => p.Name.StartsWith("SandboxBroker__DisabledLevels__", StringComparison.Ordinal)).Select(p => p.Value.GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "firecracker", "gvisor", "bubblewrap", "namespace", "none" }, disabled);
        Assert.Equal("/home/app/sandboxes", env.GetProperty("SandboxBroker__Root").GetString());
    }

    [Fact]
    public async Task Manifest_runs_two_copies_of_the_gateway_the_router_and_the_broker_and_the_configured_count_when_told()
    {
        using var byDefault = await PublishAsync();
        using var configured = await PublishAsync("--AgentCloud:Replicas=3", "--AgentCloud:Replicas:gateway=1");

        var defaults = byDefault.RootElement.GetProperty("resources");
        var told = configured.RootElement.GetProperty("resources");
        Assert.Equal(2, defaults.GetProperty("gateway").GetProperty("replicas").GetInt32());
        Assert.Equal(2, defaults.GetProperty("inference-router").GetProperty("replicas").GetInt32());
        Assert.Equal(2, defaults.GetProperty("sandbox-broker").GetProperty("replicas").GetInt32());
        Assert.Equal(3, told.GetProperty("inference-router").GetProperty("replicas").GetInt32());
        Assert.False(told.GetProperty("gateway").TryGetProperty("replicas", out _));
        // The entry written with the count is Aspire's own entry plus the count, nothing lost or changed.
        var withCount = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(defaults.GetProperty("gateway").GetRawText())!;
        var asAspireWritesIt = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(told.GetProperty("gateway").GetRawText())!;
        Assert.Equal(asAspireWritesIt.Keys.Append("replicas"), withCount.Keys);
        Assert.All(asAspireWritesIt, entry => Assert.Equal(entry.Value.GetRawText(), withCount[entry.Key].GetRawText()));
    }

    private static async Task<JsonDocument> PublishAsync(params string[] settings)
    {
        var output = Path.Combine(Path.GetTempPath(), $"agentcloud-manifest-{Guid.NewGuid():N}.json");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        await LocalProcess.RunAsync("dotnet",
            ["run", "--project", Projects.AgentCloud_AppHost.ProjectPath, "--no-build", "-c", configuration, "--no-launch-profile", "--",
             "--publisher", "manifest", "--output-path", output, "--AgentCloud:Infrastructure=containers", .. settings],
            timeout: TimeSpan.FromMinutes(3));
        try
        {
            return JsonDocument.Parse(await File.ReadAllTextAsync(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string RepositoryRoot() => Path.GetDirectoryName(Path.GetDirectoryName(Projects.AgentCloud_AppHost.ProjectPath))!;

    /// <summary>Every string in the document with where it is, e.g. <c>$.resources.gateway.env.X</c>.</summary>
    private static IEnumerable<(string Where, string Value)> Strings(JsonElement element, string where) => element.ValueKind switch
    {
        JsonValueKind.String => [(where, element.GetString()!)],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value, $"{where}.{p.Name}")),
        JsonValueKind.Array => element.EnumerateArray().SelectMany((e, i) => Strings(e, $"{where}[{i}]")),
        _ => [],
    };
}
