namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Folder operations at the operator-only "none" level, on a broker that has it switched on.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelFolderOperationsTests(NoneLevelBrokerFixture fixture) : FolderOperationsAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);
}

/// <summary>Streamed exec at the operator-only "none" level, on a broker that has it switched on.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelStreamedExecTests(NoneLevelBrokerFixture fixture) : StreamedExecAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);
}
