using System.Collections.Concurrent;
using System.Net;
using AgentCloud.Console.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Console.Auth;

/// <summary>
/// Limits refused sign-ins per real client address, before the console asks the API: every console user reaches the
/// Gateway from the console's one address, so without this one client pasting bad keys would spend the Gateway's
/// per-address failure budget and lock every other console user out. The limit is kept below the Gateway's, so one client
/// is stopped here first. Memory is bounded: beyond <see cref="MaxAddresses"/> addresses, new ones share one bucket.
/// </summary>
public sealed class SignInThrottle(IOptions<ConsoleOptions> options, TimeProvider time)
{
    public const int MaxAddresses = 20_000;
    private const string Overflow = "overflow";
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>The address a sign-in is counted against: the client the Gateway forwarded for (see Program.cs), else the peer.</summary>
    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : IPAddress.None.ToString();

    /// <summary>How long the address must wait before it may try again, or null when it may.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        if (!_windows.TryGetValue(address, out var window) && !(_windows.Count >= MaxAddresses && _windows.TryGetValue(Overflow, out window)))
        {
            return null;
        }
        var now = time.GetUtcNow();
        lock (window)
        {
            var ends = window.Start + options.Value.SignInFailureWindow;
            return window.Failures >= options.Value.SignInFailureLimit && ends > now ? ends - now : null;
        }
    }

    /// <summary>Counts one sign-in the platform refused for the address.</summary>
    public void Failed(string address)
    {
        var now = time.GetUtcNow();
        var length = options.Value.SignInFailureWindow;
        if (!_windows.TryGetValue(address, out var window))
        {
            if (_windows.Count >= MaxAddresses)
            {
                foreach (var (stale, w) in _windows.Where(e => now - e.Value.Start >= length))
                {
                    _windows.TryRemove(stale, out _);
                }
            }
            window = _windows.GetOrAdd(_windows.Count >= MaxAddresses ? Overflow : address, _ => new Window { Start = now });
        }
        lock (window)
        {
            if (now - window.Start >= length)
            {
                window.Start = now;
                window.Failures = 0;
            }
            window.Failures++;
        }
    }

    private sealed class Window
    {
        public DateTimeOffset Start;
        public int Failures;
    }
}
