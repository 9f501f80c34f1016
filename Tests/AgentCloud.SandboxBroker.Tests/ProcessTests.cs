namespace AgentCloud.SandboxBroker.Tests;

/// <summary>Background processes at the levels this host offers by default.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ProcessTests(BrokerFixture fixture) : ProcessesAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;
}

/// <summary>Background processes at the operator-only "none" level, on a broker that has it switched on.</summary>
[Collection(NoneLevelBrokerCollection.Name)]
public sealed class NoneLevelProcessTests(NoneLevelBrokerFixture fixture) : ProcessesAtEachLevel
{
    protected override BrokerFactory Broker => fixture.Broker;

    protected override bool Covers(string level) => level == AgentCloud.SandboxBroker.Isolation.IsolationLevels.None;

    protected override HttpClient ClientFor(string tenant) => fixture.ClientFor(tenant);
}
