using AgentCloud.SandboxBroker.Isolation;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>The slot lifecycle's side of <see cref="ISlotSandboxBackend"/>: a no-op for backends that start a sandbox per exec.</summary>
public sealed class SlotSandboxes(IsolationCatalog catalog)
{
    private ISlotSandboxBackend? For(SandboxSlot slot) =>
        catalog.IsAvailable(slot.Level) ? catalog.Backend(slot.Level) as ISlotSandboxBackend : null;

    public void Start(SandboxSlot slot) => For(slot)?.Start(slot);

    public string? Stop(SandboxSlot slot) => For(slot)?.Stop(slot);

    public int ReclaimOrphans() =>
        catalog.Levels.Where(l => l.Available).Select(l => catalog.Backend(l.Level)).OfType<ISlotSandboxBackend>().Sum(b => b.ReclaimOrphans());
}
