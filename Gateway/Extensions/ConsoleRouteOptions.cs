using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Gateway.Extensions;

/// <summary>How the Gateway serves the console at <c>/console</c>.</summary>
public sealed class ConsoleRouteOptions
{
    public const string SectionName = "Console";

    /// <summary>Requests for /console (pages, scripts, styles, form posts) one client address may make per minute.</summary>
    [Range(1, 100_000)]
    public int RequestsPerMinute { get; set; } = 600;
}
