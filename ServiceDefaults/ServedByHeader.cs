using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace AgentCloud.ServiceDefaults;

/// <summary>
/// In a local run with replicas, names the copy that answered: <c>AgentCloud-Served-By</c> gets this process's
/// name as the AppHost shows it (service name and <c>service.instance.id</c>, e.g. <c>gateway-abcdwxyz</c>) appended, so a response through the
/// Gateway names the Gateway copy and the copy of the service behind it. Off unless <c>AgentCloud:ServedByHeader</c> is
/// true (the AppHost sets it in run mode only): a deployment does not tell clients its topology.
/// </summary>
public static class ServedByHeader
{
    public const string HeaderName = "AgentCloud-Served-By";
    public const string SettingName = "AgentCloud:ServedByHeader";

    public static WebApplication UseServedByHeader(this WebApplication app)
    {
        if (!app.Configuration.GetValue(SettingName, false) || InstanceId(app.Configuration["OTEL_RESOURCE_ATTRIBUTES"]) is not { } id)
        {
            return app;
        }
        // The name the dashboard shows for this copy: the service's name and the replica's suffix.
        var instance = app.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } service ? $"{service}-{id}" : id;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.Append(HeaderName, instance);
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    /// <summary>The <c>service.instance.id</c> of an OpenTelemetry resource attribute list (<c>k=v,k=v</c>).</summary>
    public static string? InstanceId(string? resourceAttributes) =>
        resourceAttributes?.Split(',')
            .Select(pair => pair.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].Trim() == "service.instance.id" && kv[1].Trim().Length > 0)
            .Select(kv => kv[1].Trim())
            .FirstOrDefault();
}
