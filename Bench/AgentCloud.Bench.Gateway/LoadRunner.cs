using System.Diagnostics;

namespace AgentCloud.Bench.Gateway;

internal sealed record LatencyResult(double P50Ms, double P99Ms, int Errors);

internal sealed record ThroughputResult(double RequestsPerSecond, int Errors);

/// <summary>Closed-loop load against one URL: sequential calls for latency, N concurrent callers for throughput.</summary>
internal sealed class LoadRunner(string name, string url, string apiKey) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 256 });

    public string Name { get; } = name;

    public System.Collections.Concurrent.ConcurrentDictionary<int, int> FailuresByStatus { get; } = new();

    public async Task<bool> CallAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        using var response = await _client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        if (!response.IsSuccessStatusCode)
        {
            FailuresByStatus.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        }
        return response.IsSuccessStatusCode;
    }

    public async Task<LatencyResult> LatencyAsync(int count)
    {
        var samples = new double[count];
        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            if (!await CallAsync())
            {
                errors++;
            }
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(samples);
        return new LatencyResult(samples[count / 2], samples[(int)(count * 0.99)], errors);
    }

    public async Task<ThroughputResult> ThroughputAsync(int concurrency, TimeSpan duration)
    {
        var done = 0;
        var errors = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                if (await CallAsync())
                {
                    Interlocked.Increment(ref done);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        await Task.WhenAll(workers);
        return new ThroughputResult(done / clock.Elapsed.TotalSeconds, errors);
    }

    public void Dispose() => _client.Dispose();
}
