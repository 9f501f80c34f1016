using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Stale-while-error answers for key resolution: the last good resolution of each key, by a SHA-256 of the presented
/// key (never the key), served only while Postgres is away and only for <see cref="ControlPlaneOptions.StaleKeyResolutionBound"/>
/// after it was made. A key refused while Postgres answers, and every key of a tenant whose status or policy changed
/// or whose key was revoked here, is dropped at once, so what was refused while up is never served stale.
/// </summary>
public sealed class ResolvedKeyCache(IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    /// <summary>Memory bound: past it, answers older than the bound are pruned, and new ones are not kept until there is room.</summary>
    public const int MaxEntries = 100_000;

    private sealed record Entry(ResolvedKey Key, DateTimeOffset ResolvedAt);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _evictions;

    /// <summary>Read before a resolution starts; <see cref="Remember"/> keeps its answer only if nothing was evicted meanwhile.</summary>
    public long Generation => Interlocked.Read(ref _evictions);

    private TimeSpan Bound => options.Value.StaleKeyResolutionBound;

    public void Remember(string presented, ResolvedKey key, long generation)
    {
        if (Bound <= TimeSpan.Zero)
        {
            return;
        }
        var fingerprint = Fingerprint(presented);
        if (_entries.Count >= MaxEntries && !_entries.ContainsKey(fingerprint))
        {
            Prune();
            if (_entries.Count >= MaxEntries)
            {
                return;
            }
        }
        _entries[fingerprint] = new Entry(key, time.GetUtcNow());
        if (Generation != generation)
        {
            // A revocation or change landed while this answer was read: it may predate it, so it is not kept.
            _entries.TryRemove(fingerprint, out _);
        }
    }

    /// <summary>The key was refused by the store: never answer it from here.</summary>
    public void Forget(string presented) => _entries.TryRemove(Fingerprint(presented), out _);

    /// <summary>The last good answer for the key, if it is recent enough and the key itself has not expired since.</summary>
    public ResolvedKey? Stale(string presented)
    {
        var fingerprint = Fingerprint(presented);
        if (!_entries.TryGetValue(fingerprint, out var entry))
        {
            return null;
        }
        var now = time.GetUtcNow();
        if (now - entry.ResolvedAt > Bound || entry.Key.ExpiresAt <= now)
        {
            _entries.TryRemove(fingerprint, out _);
            return null;
        }
        return entry.Key;
    }

    public void EvictKey(string keyId) => Evict(e => e.Key.KeyId == keyId);

    public void EvictTenant(string tenantId) => Evict(e => e.Key.TenantId == tenantId);

    private void Evict(Func<Entry, bool> matches)
    {
        Interlocked.Increment(ref _evictions);
        foreach (var (fingerprint, entry) in _entries)
        {
            if (matches(entry))
            {
                _entries.TryRemove(fingerprint, out _);
            }
        }
    }

    private void Prune()
    {
        var oldest = time.GetUtcNow() - Bound;
        foreach (var (fingerprint, entry) in _entries)
        {
            if (entry.ResolvedAt < oldest)
            {
                _entries.TryRemove(fingerprint, out _);
            }
        }
    }

    private static string Fingerprint(string presented) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
