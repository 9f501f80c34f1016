using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// A consistent-hash ring of replica names, each at <c>virtualNodes</c> points. A key belongs to the first point at
/// or after it; adding a replica takes over only the arcs its points land on, so most keys keep their replica.
/// </summary>
public sealed class HashRing
{
    private readonly ulong[] _points;
    private readonly int[] _owners;

    public HashRing(IReadOnlyList<string> replicas, int virtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfZero(replicas.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(virtualNodes);
        Replicas = replicas;
        var points = new List<(ulong Point, int Owner)>(replicas.Count * virtualNodes);
        for (var r = 0; r < replicas.Count; r++)
        {
            for (var v = 0; v < virtualNodes; v++)
            {
                points.Add((Hash($"{replicas[r]}#{v}"), r));
            }
        }
        // Ties between points (vanishingly rare) go to the name that sorts first, so every router builds the same ring.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(replicas[a.Owner], replicas[b.Owner]));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    public IReadOnlyList<string> Replicas { get; }

    /// <summary>The replicas in the order a key meets them walking the ring: its own first, each once.</summary>
    public IEnumerable<int> Walk(ulong key)
    {
        var start = Array.BinarySearch(_points, key);
        start = start < 0 ? ~start : start;
        var seen = new bool[Replicas.Count];
        var found = 0;
        for (var i = 0; i < _points.Length && found < seen.Length; i++)
        {
            var owner = _owners[(start + i) % _points.Length];
            if (!seen[owner])
            {
                seen[owner] = true;
                found++;
                yield return owner;
            }
        }
    }

    /// <summary>The replica that owns <paramref name="key"/> when load is no concern.</summary>
    public string Owner(ulong key) => Replicas[Walk(key).First()];

    public static ulong Hash(string text) => BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
