using AgentCloud.AppHost;
using AgentCloud.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure first: secrets, then the stores (containers, or local executables without Docker).
var secrets = builder.AddPlatformSecrets();
var stores = builder.AddPlatformStores();

// The default model endpoint for local runs and tests.
var modelSimulator = builder.AddAgentCloudService<Projects.AgentCloud_ModelSimulator>("model-simulator")
    .WithEnvironment("ModelSimulator__ApiKey", secrets.ModelApiKey)
    .WithEnvironment("ModelSimulator__InstanceName", "shared-0");

var controlPlane = builder.AddAgentCloudService<Projects.AgentCloud_ControlPlane>("controlplane")
    .WithStore(stores.ControlPlaneDb)
    .WithStore(stores.Redis)
    .WithEnvironment("ControlPlane__VaultMasterKey", secrets.VaultMasterKey);

var inferenceRouter = builder.AddAgentCloudService<Projects.AgentCloud_InferenceRouter>("inference-router")
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(modelSimulator)
    .WaitFor(modelSimulator)
    .WithEnvironment("InferenceRouter__UpstreamApiKey", secrets.ModelApiKey);

var sandboxBroker = builder.AddAgentCloudService<Projects.AgentCloud_SandboxBroker>("sandbox-broker")
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithEnvironment("SandboxBroker__Root", Path.Combine(StateDirectory.Resolve(builder.Configuration), "sandboxes"));

var usageAggregator = builder.AddAgentCloudService<Projects.AgentCloud_UsageAggregator>("usage-aggregator")
    .WithStore(stores.UsageDb)
    .WithStore(stores.Redis);

var memory = builder.AddAgentCloudService<Projects.AgentCloud_Memory>("memory")
    .WithVectorStore(stores.Vector)
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(inferenceRouter);

var gateway = builder.AddGateway(secrets)
    .WithStore(stores.Redis)
    .WithReference(controlPlane)
    .WithReference(inferenceRouter)
    .WithReference(sandboxBroker)
    .WithReference(usageAggregator)
    .WithReference(memory);

foreach (var service in new[] { controlPlane, inferenceRouter, sandboxBroker, usageAggregator, memory })
{
    service.TrustingGateway(gateway);
}

builder.Build().Run();
