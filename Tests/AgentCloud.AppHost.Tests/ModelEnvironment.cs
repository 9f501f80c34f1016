namespace AgentCloud.AppHost.Tests;

/// <summary>A resource's environment as the publish manifest would write it: parameters and endpoints stay as references.</summary>
internal static class ModelEnvironment
{
    public static async Task<Dictionary<string, string>> Of(IResource resource)
    {
        // The successor API (ExecutionConfigurationBuilder) needs a running app's services; this one reads the bare model.
#pragma warning disable CS0618
        var values = await ((IResourceWithEnvironment)resource).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        return values.ToDictionary(kv => kv.Key, kv => kv.Value);
    }
}
