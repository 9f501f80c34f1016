using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentCloud.ControlPlane.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Alerts;

public enum AttemptVerdict
{
    Delivered,

    /// <summary>A network error, a timeout, 408, 429 or 5xx: worth another attempt.</summary>
    Retry,

    /// <summary>Any other answer (a 4xx, a redirect), or a destination the SSRF rules refuse: attempting again would not help.</summary>
    Final,
}

public sealed record AttemptResult(AttemptVerdict Verdict, int? Status, string? Error);

/// <summary>One signed POST of an alert to a tenant's webhook, through <see cref="WebhookConnector"/>, bounded by <c>AttemptTimeout</c>.</summary>
public sealed class WebhookSender(WebhookConnector connector, IOptions<AlertOptions> options, TimeProvider time) : IDisposable
{
    private readonly HttpClient _client = new(connector.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };

    public async Task<AttemptResult> SendAsync(string url, string secret, string alertId, string body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, timestamp, bytes));
        request.Headers.TryAddWithoutValidation(WebhookSignature.AlertIdHeader, alertId);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("AgentCloud-Alerts", "1"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.AttemptTimeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => new AttemptResult(AttemptVerdict.Delivered, status, null),
                (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 =>
                    new AttemptResult(AttemptVerdict.Retry, status, $"the receiver answered {status}"),
                _ => new AttemptResult(AttemptVerdict.Final, status, $"the receiver answered {status}, which is not retried (only 408, 429 and 5xx are)"),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AttemptResult(AttemptVerdict.Retry, null, $"the receiver did not answer within {options.Value.AttemptTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e) when (FindRefusal(e) is { } refusal)
        {
            return new AttemptResult(AttemptVerdict.Final, null, "refused: " + refusal.Message);
        }
        catch (HttpRequestException e)
        {
            return new AttemptResult(AttemptVerdict.Retry, null, "network error: " + Clip(e.Message));
        }
    }

    private static WebhookRefusedException? FindRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is WebhookRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }

    private static string Clip(string s) => s.Length <= 200 ? s : s[..200];

    public void Dispose() => _client.Dispose();
}
