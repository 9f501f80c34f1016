using System.Net.Http.Json;
using System.Text.Json;

namespace AgentCloud.SandboxBroker.Tests;

public sealed record ProcessDto(int Pid, string[] Command, DateTimeOffset StartedAt, string State, int? ExitCode);

public sealed record ProcessLogDto(int Pid, string State, int? ExitCode, string Stdout, string Stderr, bool Truncated);

/// <summary>The background-process routes of a sandbox, as a tenant calls them.</summary>
public static class ProcessCalls
{
    public static async Task<ProcessDto> StartProcessAsync(this HttpClient client, string id, string[] command, string? cwd = null, Dictionary<string, string>? env = null)
    {
        using var response = await client.PostAsJsonAsync($"/v1/sandboxes/{id}/processes", new { command, cwd, env });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"start: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<ProcessDto>(text, JsonSerializerOptions.Web)!;
    }

    public static async Task<ProcessDto> GetProcessAsync(this HttpClient client, string id, int pid) =>
        (await client.GetFromJsonAsync<ProcessDto>($"/v1/sandboxes/{id}/processes/{pid}", JsonSerializerOptions.Web))!;

    public static async Task<ProcessLogDto> LogsAsync(this HttpClient client, string id, int pid) =>
        (await client.GetFromJsonAsync<ProcessLogDto>($"/v1/sandboxes/{id}/processes/{pid}/logs", JsonSerializerOptions.Web))!;

    public static Task<HttpResponseMessage> SignalAsync(this HttpClient client, string id, int pid, string signal) =>
        client.PostAsJsonAsync($"/v1/sandboxes/{id}/processes/{pid}/signal", new { signal });

    /// <summary>Polls until the process has exited (bounded by the token).</summary>
    public static async Task<ProcessDto> ExitedAsync(this HttpClient client, string id, int pid, CancellationToken cancellationToken)
    {
        while (true)
        {
            var process = await client.GetProcessAsync(id, pid);
            if (process.State == "exited")
            {
                return process;
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    public static async Task<ServerSentEventReader> FollowLogsAsync(this HttpClient client, string id, int pid, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sandboxes/{id}/processes/{pid}/logs?follow=true");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new ServerSentEventReader(response);
    }
}
