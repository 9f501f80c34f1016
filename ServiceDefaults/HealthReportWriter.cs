using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes a health report as JSON: to anyone, the overall status and each check's status and description (texts the
/// checks wrote for people); the exception text of a failing check only to a caller <see cref="IHealthDetailsGate"/>
/// admits (the operator), since it can name hosts, ports and internals.
/// </summary>
internal static class HealthReportWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var gate = context.RequestServices.GetService<IHealthDetailsGate>();
        var details = gate is not null && await gate.AdmitsAsync(context);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, error = details ? e.Value.Exception?.Message : null }),
        };
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}

/// <summary>Decides whether a health request may see failing checks' exception text (the operator only).</summary>
public interface IHealthDetailsGate
{
    Task<bool> AdmitsAsync(HttpContext context);
}
