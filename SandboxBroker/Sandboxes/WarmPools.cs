using System.Collections.Concurrent;
using AgentCloud.SandboxBroker.Isolation;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Sandboxes;

/// <summary>
/// Warm slots per pool: one shared pool per (level, template) and one per tenant whose tier asks for a dedicated pool.
/// Taking is a stack pop (the most recently recycled slot first); filling happens in the background
/// (<see cref="Refill"/>), woken by every take. Recycled slots may take a pool up to twice its target size.
/// </summary>
public sealed class WarmPools(SlotLayout layout, Recycler recycler, IsolationCatalog catalog, IOptions<SandboxBrokerOptions> options, ILogger<WarmPools> logger)
{
    private readonly ConcurrentDictionary<PoolKey, ConcurrentStack<SandboxSlot>> _pools = new();
    private readonly SemaphoreSlim _wake = new(0);

    public void RegisterSharedPools()
    {
        foreach (var level in options.Value.PooledLevels.Where(catalog.IsAvailable))
        {
            // A template whose layer is missing here is refused at create: no slot is warmed for it.
            foreach (var template in options.Value.EffectiveTemplates().Where(t => t.Value.Unavailable() is null).Select(t => t.Key))
            {
                _pools.TryAdd(new PoolKey(level, template, null), new());
            }
        }
        Wake();
    }

    public int Target(PoolKey key) => key.DedicatedTenant is null
        ? (options.Value.PooledLevels.Contains(key.Level) ? options.Value.SharedPoolSize : 0)
        : options.Value.DedicatedPoolSize;

    public int Count(PoolKey key) => _pools.TryGetValue(key, out var q) ? q.Count : 0;

    public IReadOnlyDictionary<PoolKey, int> Counts => _pools.ToDictionary(p => p.Key, p => p.Value.Count);

    public bool Contains(string slotId) => _pools.Values.Any(q => q.Any(s => s.SlotId == slotId));

    public bool TryTake(PoolKey key, out SandboxSlot slot)
    {
        var queue = _pools.GetOrAdd(key, _ => new());
        var taken = queue.TryPop(out slot!);
        Wake();
        return taken;
    }

    /// <summary>Recycles a slot into its own pool (never another), or destroys it when the pool is full or the scan fails.</summary>
    public bool Return(SandboxSlot slot)
    {
        // A checkpointed sandbox's uid waits for its resume: its old slot never serves another lease.
        if (Count(slot.Pool) >= 2 * Target(slot.Pool) || layout.IsHeldForPause(slot.Uid))
        {
            recycler.Destroy(slot);
            return false;
        }
        if (!recycler.Recycle(slot))
        {
            return false;
        }
        layout.MoveTo(slot, tenantId: null);
        _pools.GetOrAdd(slot.Pool, _ => new()).Push(slot);
        return true;
    }

    public void Wake() => _wake.Release();

    public Task WaitForWorkAsync(TimeSpan max, CancellationToken stop) => _wake.WaitAsync(max, stop);

    /// <summary>Creates slots until every pool is at its target size.</summary>
    public void Refill()
    {
        foreach (var (key, queue) in _pools)
        {
            while (queue.Count < Target(key))
            {
                try
                {
                    var slot = layout.CreateSlot(key);
                    recycler.Prepare(slot);
                    queue.Push(slot);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or SandboxRefusal)
                {
                    logger.LogError(e, "Could not fill warm pool {Pool}", key);
                    break;
                }
            }
        }
    }

    /// <summary>Destroys a tenant's dedicated pools and stops refilling them.</summary>
    public void DropDedicated(string tenantId)
    {
        foreach (var key in _pools.Keys.Where(k => k.DedicatedTenant == tenantId).ToList())
        {
            if (_pools.TryRemove(key, out var stack))
            {
                while (stack.TryPop(out var slot))
                {
                    recycler.Destroy(slot);
                }
            }
        }
    }

    /// <summary>Destroys every warm slot (shutdown).</summary>
    public void DrainAll()
    {
        foreach (var queue in _pools.Values)
        {
            while (queue.TryPop(out var slot))
            {
                recycler.Destroy(slot);
            }
        }
    }
}
