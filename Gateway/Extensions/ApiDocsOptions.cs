using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Gateway.Extensions;

/// <summary>How the merged public OpenAPI document (<c>/openapi/v1.json</c>, read by <c>/docs</c>) is cached.</summary>
public sealed class ApiDocsOptions
{
    public const string SectionName = "ApiDocs";

    /// <summary>How long a merged document is served before the services are asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a failed merge (a service away) is answered 503 before the services are asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests for /openapi/v1.json and /docs (page and scripts) one client address may make per minute, without a key.</summary>
    [Range(1, 100_000)]
    public int RequestsPerMinute { get; set; } = 120;

    /// <summary>How long fetching all the services' documents may take (a service's first document is generated then).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
