using AgentCloud.Console.Api;
using AgentCloud.Console.Auth;

namespace AgentCloud.Console.Usage;

/// <summary>
/// The chargeback CSV, streamed through the console from <c>GET /admin/v1/usage?format=csv</c> with the operator's key:
/// the browser downloads it from the console so the key never leaves the session cookie.
/// </summary>
public static class ChargebackEndpoint
{
    public const string Path = "/usage/chargeback.csv";

    public static void MapChargebackCsv(this WebApplication app) =>
        app.MapGet(Path, async (HttpContext http, IPlatformApi api, TimeProvider time, string? tenantId) =>
        {
            var now = time.GetUtcNow();
            using var upstream = await api.ChargebackCsvAsync(tenantId, now.AddDays(-30), now, http.RequestAborted);
            if (!upstream.IsSuccessStatusCode)
            {
                return Results.Problem(statusCode: (int)upstream.StatusCode, title: "Chargeback unavailable",
                    detail: await ApiAnswer.ProblemDetailAsync(upstream, http.RequestAborted));
            }
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = upstream.Content.Headers.ContentDisposition?.ToString()
                ?? $"attachment; filename=usage-{tenantId ?? "all"}.csv";
            await using var body = await upstream.Content.ReadAsStreamAsync(http.RequestAborted);
            await body.CopyToAsync(http.Response.Body, http.RequestAborted);
            return Results.Empty;
        }).RequireAuthorization(p => p.RequireRole(ConsoleClaims.OperatorRole)).ExcludeFromDescription();
}
