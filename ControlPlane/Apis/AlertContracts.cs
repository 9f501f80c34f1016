using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCloud.ControlPlane.Infrastructure.Entities;

namespace AgentCloud.ControlPlane.Apis;

public sealed record PutWebhookRequest(string? Url);

/// <summary>A tenant's webhook; <c>secret</c> only in the answer that made it (first PUT, rotation).</summary>
public sealed record WebhookResponse(
    string Url, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset SecretRotatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static WebhookResponse From(AlertWebhook w, string? secret = null) => new(w.Url, w.CreatedAt, w.UpdatedAt, w.SecretRotatedAt, secret);
}

/// <summary>One alert and its delivery: <c>state</c> is pending, delivered, failed or no-webhook; <c>alert</c> is the body's <c>data</c>.</summary>
public sealed record AlertDeliveryResponse(
    string AlertId, string State, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt,
    int? LastStatus, string? LastError, JsonElement Alert)
{
    public static AlertDeliveryResponse From(AlertDelivery d)
    {
        using var body = JsonDocument.Parse(d.Body);
        return new(d.AlertId, d.State, d.Attempts, d.CreatedAt, d.State == AlertDeliveryStates.Pending ? d.NextAttemptAt : null, d.CompletedAt,
            d.LastStatus, d.LastError, body.RootElement.GetProperty("data").Clone());
    }
}

/// <summary>Newest first; <c>nextCursor</c> (null on the last page) goes in the next call's <c>cursor</c>.</summary>
public sealed record AlertDeliveriesPage(IReadOnlyList<AlertDeliveryResponse> Deliveries, string? NextCursor);
