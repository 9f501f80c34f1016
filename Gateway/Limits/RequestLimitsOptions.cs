using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Gateway.Limits;

/// <summary>What the Gateway accepts from a client before anything is proxied.</summary>
public sealed class RequestLimitsOptions
{
    public const string SectionName = "Gateway:Limits";

    [Range(1, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>For raw file uploads (<c>PUT /v1/sandboxes/{id}/files/**</c>) and tar uploads (<c>PUT /v1/sandboxes/{id}/archive/**</c>).</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileUploadBytes { get; set; } = 64L * 1024 * 1024;

    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 64;

    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an upstream may stay silent (no response bytes) before the call is answered 504.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan UpstreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The same for <c>POST /v1/sandboxes/{id}/exec</c>, whose buffered answer comes only when the command ends: above the
    /// broker's longest exec (<c>SandboxBroker:MaxExecTimeoutSeconds</c>, default 900 s) so a long exec is never a 504.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SandboxExecIdleTimeout { get; set; } = TimeSpan.FromSeconds(AgentCloud.Platform.Contracts.SandboxExecLimits.DefaultMaxExecTimeoutSeconds + 60);
}
