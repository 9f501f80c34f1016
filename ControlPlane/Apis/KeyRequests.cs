using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>What the operator's and the tenant's key APIs check and answer alike: creation and rotation bodies, and the one-time answers.</summary>
internal static class KeyRequests
{
    /// <summary>Why a creation body may not be served, or null.</summary>
    public static string? RefuseCreate(CreateKeyRequest request, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > TenantValidation.MaxNameLength || request.Name.Any(char.IsControl))
        {
            return $"'name' is required: 1 to {TenantValidation.MaxNameLength} characters, no control characters.";
        }
        if (request.Capabilities is { Count: > TenantValidation.MaxListLength })
        {
            return $"'capabilities' may list at most {TenantValidation.MaxListLength} entries.";
        }
        if (request.DefaultLane is not null && !Lanes.IsKnown(request.DefaultLane))
        {
            return $"'defaultLane' must be '{Lanes.Interactive}' or '{Lanes.Batch}'.";
        }
        if (request.RequestsPerMinute is <= 0 || request.TokensPerMinute is <= 0)
        {
            return "'requestsPerMinute' and 'tokensPerMinute' are the key's own limits within the tenant's: positive numbers, or absent for none.";
        }
        if ((BudgetValidation.RefuseDollars(request.DollarBudget, "dollarBudget", zeroRemoves: false) ?? BudgetValidation.RefusePeriod(request.DollarBudgetPeriod, "dollarBudgetPeriod")) is { } budget)
        {
            return budget;
        }
        if (request.DollarBudgetPeriod is not null && request.DollarBudget is null)
        {
            return "'dollarBudgetPeriod' is the period of the key's 'dollarBudget': give both, or neither.";
        }
        if (request.ProjectId is { } project && (project.Length is 0 or > 64 || project.Any(char.IsControl)))
        {
            return "'projectId' must be the id of one of the tenant's projects (prj_…), or absent for none.";
        }
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            return $"'expiresAt' must be in the future (now is {now:O}).";
        }
        return null;
    }

    /// <summary>The grace period a rotation body asks for, or a refusal.</summary>
    public static (TimeSpan Grace, string? Refusal) GraceOf(RotateKeyRequest? request)
    {
        var seconds = request?.GracePeriodSeconds ?? 0;
        return seconds < 0 || seconds > ApiKeyRotation.MaxGrace.TotalSeconds
            ? (TimeSpan.Zero, $"'gracePeriodSeconds' must be 0 to {ApiKeyRotation.MaxGrace.TotalSeconds:0} (24 hours).")
            : (TimeSpan.FromSeconds(seconds), null);
    }

    public static CreatedKeyResponse Created(CreatedKey created) =>
        new(created.Key.Id, created.Plaintext, created.Key.Name, created.Key.Prefix, created.Key.Capabilities, created.Key.CreatedAt,
            created.Key.DefaultLane ?? Lanes.Interactive, created.Key.ExpiresAt, created.Key.RequestsPerMinute, created.Key.TokensPerMinute, created.Key.ProjectId,
            created.Key.DollarBudget, created.Key.DollarBudget is null ? null : created.Key.DollarBudgetPeriod);

    /// <summary>The answer to a rotation; names the key in the revoked-keys header so the Gateway that forwards it drops its cache at once.</summary>
    public static Results<Ok<RotatedKeyResponse>, ProblemHttpResult> Rotated(HttpResponse response, string keyId, KeyRotationOutcome? outcome)
    {
        if (outcome is null)
        {
            return Problems.NotFound($"There is no key '{TenantValidation.Clip(keyId)}'.");
        }
        if (outcome.Forbidden is not null)
        {
            return Problems.Forbidden(outcome.Forbidden);
        }
        if (outcome.Rotated is not { } rotated)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "key-not-rotatable", "Key cannot be rotated", outcome.Conflict!);
        }
        response.Headers[PlatformHeaders.RevokedKeys] = keyId;
        return TypedResults.Ok(new RotatedKeyResponse(rotated.Key.Id, rotated.Plaintext, rotated.Key.Prefix, rotated.Key.RotatedAt!.Value,
            rotated.PreviousValidUntil, rotated.Published));
    }
}
