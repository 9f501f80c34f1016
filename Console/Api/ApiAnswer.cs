using System.Net;
using System.Text.Json;

namespace AgentCloud.Console.Api;

/// <summary>Reads an API answer: the JSON value on success, the problem's <c>detail</c> (or a plain reason) otherwise.</summary>
public static class ApiAnswer
{
    public static async Task<ApiResult<T>> ReadAsync<T>(HttpResponseMessage response, JsonSerializerOptions json, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            if (typeof(T) == typeof(bool))
            {
                return ApiResult.Success<T>((T)(object)true, status);
            }
            var value = await response.Content.ReadFromJsonAsync<T>(json, ct);
            return value is null ? ApiResult.Failure<T>(502, "The platform answered without a body.") : ApiResult.Success<T>(value, status);
        }
        return ApiResult.Failure<T>(status, await ProblemDetailAsync(response, ct));
    }

    /// <summary>The problem's detail, prefixed with when to retry if the API said so.</summary>
    public static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? detail = null;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
            {
                detail = d.GetString();
            }
        }
        catch (JsonException)
        {
            // not problem+json: the status says enough
        }
        detail ??= $"The platform answered {(int)response.StatusCode} {response.ReasonPhrase}.";
        return response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } wait
            ? $"{detail} (retry after {wait.TotalSeconds:0} s)"
            : detail;
    }
}
