namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Arguments that start the AppHost for a test: secrets given (so nothing is written to user secrets),
/// a private state folder, and a free Gateway port.
/// </summary>
public sealed record AppHostArgs(string Mode, string StateDirectory, int GatewayPort, int SampleToolsPort)
{
    public const string AdminKey = "test-admin-key-0123456789abcdefghij";
    public const string SigningSeed = "test-gateway-signing-seed-0123456789";
    public const string ModelApiKey = "test-model-api-key-0123456789abcdef";
    public const string VaultMasterKey = "test-vault-master-key-0123456789abcdef";
    public const string CacheSaltKey = "test-inference-cache-salt-key-0123456789";

    public static AppHostArgs Local() => new("local", Path.Combine(Path.GetTempPath(), "agentcloud-apphost-" + Guid.NewGuid().ToString("N")[..10]),
        AgentCloud.Tests.Shared.LocalProcess.FreePort(), AgentCloud.Tests.Shared.LocalProcess.FreePort());

    public static AppHostArgs Containers() => Local() with { Mode = "containers" };

    public string[] ToArgs(params string[] extra) =>
    [
        $"--AgentCloud:Infrastructure={Mode}",
        $"--AgentCloud:StateDirectory={StateDirectory}",
        $"--AgentCloud:GatewayPort={GatewayPort}",
        $"--AgentCloud:SampleToolsPort={SampleToolsPort}",
        $"--Parameters:admin-key={AdminKey}",
        $"--Parameters:gateway-signing-key={SigningSeed}",
        $"--Parameters:model-api-key={ModelApiKey}",
        $"--Parameters:vault-master-key={VaultMasterKey}",
        $"--Parameters:inference-cache-salt-key={CacheSaltKey}",
        // The testing builder moves proxied ports to random ones; the Gateway's proxy (replicas) must keep the fixed port.
        "--DcpPublisher:RandomizePorts=false",
        .. extra,
    ];
}
