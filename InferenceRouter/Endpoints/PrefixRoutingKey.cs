using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Endpoints;

/// <summary>
/// The routing key of a chat: a hash of the tenant's cache salt and the prompt's leading full token blocks, cut the
/// way the upstream's prefix cache cuts them. Calls that share those blocks within one salt domain share a key, so
/// they can share a replica's cached prefix; the salt keeps two tenants' identical prompts on unrelated keys.
/// </summary>
public sealed class PrefixRoutingKey(PromptTokenCounter tokens, IOptions<RoutingOptions> options)
{
    public ulong For(string salt, string? prompt)
    {
        var o = options.Value;
        var leading = string.IsNullOrEmpty(prompt) ? [] : tokens.Leading(prompt, o.PrefixBlockTokens * o.PrefixBlocks);
        return Hash(salt, leading, o.PrefixBlockTokens);
    }

    /// <summary>Only full blocks count: a partial block is never reused by a prefix cache either.</summary>
    public static ulong Hash(string salt, IReadOnlyList<int> leading, int blockTokens)
    {
        var full = leading.Count / blockTokens * blockTokens;
        var saltBytes = Encoding.UTF8.GetBytes(salt);
        var buffer = new byte[saltBytes.Length + 1 + full * sizeof(int)];
        saltBytes.CopyTo(buffer, 0);
        var ids = MemoryMarshal.Cast<byte, int>(buffer.AsSpan(saltBytes.Length + 1));
        for (var i = 0; i < full; i++)
        {
            ids[i] = leading[i];
        }
        return BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(buffer));
    }
}
