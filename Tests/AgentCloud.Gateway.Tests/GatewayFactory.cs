using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using AgentCloud.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCloud.Gateway.Tests;

/// <summary>
/// One Gateway replica on real Kestrel (a random 127.0.0.1 port), with its Redis, its key resolver pointed at the
/// stand-in ControlPlane and every service route pointed at the echo upstream. Several may share one Redis.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdefghij";
    private static readonly string[] ServiceNames = [.. AgentCloud.Platform.Contracts.ServiceNames.All];
    private readonly Dictionary<string, string?> _settings;

    public GatewayFactory(string redisConnectionString, StandInControlPlane controlPlane, EchoUpstream upstream, IDictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:SigningKeySeed"] = TestTenantContexts.SigningSeed,
            // Generous here so a busy test machine does not turn decisions into fail-mode ones; the outage tests set 20 ms.
            ["Gateway:RateLimitDeadline"] = "00:00:01",
            // The first lookup of a fresh Gateway pays for JIT and connection set-up on a loaded machine.
            ["Gateway:KeyResolutionTimeout"] = "00:00:10",
            // 429s for failing addresses are answered at once here; AbuseResistanceTests hold them on purpose.
            ["Gateway:FailedCallHold"] = "00:00:00",
        };
        foreach (var service in ServiceNames)
        {
            _settings[$"Services:{service}:http:0"] = upstream.Url;
        }
        _settings["Services:controlplane:http:0"] = controlPlane.Url;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            if (v is null)
            {
                _settings.Remove(k); // a test asks for a setting to be absent
                continue;
            }
            _settings[k] = v;
        }
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>Warnings and errors the Gateway logged, by category.</summary>
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
    }

    /// <summary>A client of this replica, already started, calling with the given key (if any).</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = Address });
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        }
        return client;
    }

    /// <summary>The base address of the replica's Kestrel listener, for raw-socket tests.</summary>
    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
    }

    /// <summary>Counts what this replica (not another in the same process) adds to a counter.</summary>
    public CounterProbe Counter(string instrument)
    {
        StartServer();
        return new CounterProbe(Services.GetRequiredService<IMeterFactory>(), instrument);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(string, LogLevel, string)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, sink);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    sink.Enqueue((category, logLevel, formatter(state, exception)));
                }
            }
        }
    }
}

/// <summary>Sums a counter of one Gateway's meter factory.</summary>
public sealed class CounterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterProbe(IMeterFactory factory, string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name == instrument && ReferenceEquals(i.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
