using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.ModelSimulator.Inference;

/// <summary>
/// A prefix KV cache like vLLM's automatic prefix caching: the prompt is cut into full blocks of
/// <c>blockTokens</c> tokens; each block's hash chains the previous block's hash, and the chain is seeded with the
/// request's <c>cache_salt</c>, so two prompts share a block only if they share the salt and every token before it.
/// Least recently used blocks are evicted beyond <c>capacityBlocks</c>.
/// </summary>
public sealed class PrefixKvCache(int blockTokens, int capacityBlocks, KvCacheMetrics? metrics = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, LinkedListNode<UInt128>> _blocks = [];
    private readonly LinkedList<UInt128> _lru = new();
    private long _hits;
    private long _misses;

    public int BlockTokens => blockTokens;
    public int Count { get { lock (_gate) { return _blocks.Count; } } }
    public long HitBlocks => Interlocked.Read(ref _hits);
    public long MissBlocks => Interlocked.Read(ref _misses);

    /// <summary>Looks the prompt up and inserts its blocks; returns how many leading tokens were already cached.</summary>
    public int Admit(IReadOnlyList<int> tokens, string? salt)
    {
        var hashes = BlockHashes(tokens, salt);
        // Like vLLM, the last prompt token is always computed, so a block ending on it never counts as a hit.
        var lookupBlocks = Math.Max(0, tokens.Count - 1) / blockTokens;
        int hit = 0, miss = 0;
        lock (_gate)
        {
            var prefixIntact = true;
            for (var i = 0; i < hashes.Length; i++)
            {
                if (_blocks.TryGetValue(hashes[i], out var node))
                {
                    _lru.Remove(node);
                    _lru.AddFirst(node);
                    if (prefixIntact && i < lookupBlocks)
                    {
                        hit++;
                        continue;
                    }
                }
                else
                {
                    _blocks[hashes[i]] = _lru.AddFirst(hashes[i]);
                }
                prefixIntact = false;
                miss++;
            }
            while (_blocks.Count > capacityBlocks)
            {
                _blocks.Remove(_lru.Last!.Value);
                _lru.RemoveLast();
            }
        }
        Interlocked.Add(ref _hits, hit);
        Interlocked.Add(ref _misses, miss);
        metrics?.Record(hit, miss, hit * blockTokens);
        return hit * blockTokens;
    }

    private UInt128[] BlockHashes(IReadOnlyList<int> tokens, string? salt)
    {
        var count = tokens.Count / blockTokens;
        var result = new UInt128[count];
        Span<byte> previous = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("salt:" + (salt ?? "")), previous);
        var buffer = new byte[32 + blockTokens * sizeof(int)];
        for (var b = 0; b < count; b++)
        {
            previous.CopyTo(buffer);
            var ids = MemoryMarshal.Cast<byte, int>(buffer.AsSpan(32));
            for (var t = 0; t < blockTokens; t++)
            {
                ids[t] = tokens[b * blockTokens + t];
            }
            SHA256.HashData(buffer, previous);
            result[b] = BinaryPrimitives.ReadUInt128LittleEndian(previous);
        }
        return result;
    }
}
