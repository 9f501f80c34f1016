using System.Collections.Concurrent;
using AgentCloud.Gateway.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Limits unauthenticated and failed calls per client address, in this Gateway's memory: after
/// <see cref="GatewayOptions.FailedCallLimit"/> refusals in a <see cref="GatewayOptions.FailedCallWindow"/>, calls from
/// that address that would need the ControlPlane (a key not already known good here) get 429 until the window ends.
/// Memory is bounded: at most <see cref="MaxAddresses"/> addresses are tracked; beyond that, new ones share one bucket.
/// </summary>
public sealed class FailedCallLimiter(IOptions<GatewayOptions> options, TimeProvider time)
{
    public const int MaxAddresses = 50_000;
    private const string Overflow = "overflow";
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private int _held;

    /// <summary>Counts one refused call from the address.</summary>
    public void Failed(string address)
    {
        var window = Current(address);
        lock (window)
        {
            window.Failures++;
        }
    }

    /// <summary>
    /// Admits one key lookup for the address, or says how long to wait: lookups in flight count against the budget like
    /// failures, so a burst of concurrent guesses gets no more lookups than the limit. Dispose the lease when answered.
    /// </summary>
    public IDisposable? TryBeginLookup(string address, out TimeSpan wait)
    {
        var window = Current(address);
        var now = time.GetUtcNow();
        lock (window)
        {
            if (window.Failures + window.InFlight >= options.Value.FailedCallLimit)
            {
                wait = window.Start + options.Value.FailedCallWindow - now;
                return null;
            }
            window.InFlight++;
        }
        wait = TimeSpan.Zero;
        return new Lease(window);
    }

    private sealed class Lease(Window window) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                lock (window)
                {
                    window.InFlight--;
                }
            }
        }
    }

    /// <summary>How long the address must wait before it may fail again, or null when it may go on.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        if (!_windows.TryGetValue(address, out var window) && !(_windows.Count >= MaxAddresses && _windows.TryGetValue(Overflow, out window)))
        {
            return null;
        }
        var now = time.GetUtcNow();
        lock (window)
        {
            var ends = window.Start + options.Value.FailedCallWindow;
            return window.Failures >= options.Value.FailedCallLimit && ends > now ? ends - now : null;
        }
    }

    /// <summary>
    /// Holds an over-limit answer for <see cref="GatewayOptions.FailedCallHold"/>: a client that retries at once on the
    /// same connection then costs one cheap answer per hold, not thousands a second. At most
    /// <see cref="GatewayOptions.MaxHeldCalls"/> are held at a time (the rest are answered at once), so holding is bounded.
    /// </summary>
    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        var hold = options.Value.FailedCallHold;
        if (hold <= TimeSpan.Zero)
        {
            return;
        }
        if (Interlocked.Increment(ref _held) > options.Value.MaxHeldCalls)
        {
            Interlocked.Decrement(ref _held);
            return;
        }
        try
        {
            await Task.Delay(hold, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client went away; nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }

    private Window Current(string address)
    {
        var now = time.GetUtcNow();
        var length = options.Value.FailedCallWindow;
        if (!_windows.TryGetValue(address, out var window))
        {
            if (_windows.Count >= MaxAddresses)
            {
                Sweep(now, length);
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
        }
        return window;
    }

    private void Sweep(DateTimeOffset now, TimeSpan length)
    {
        foreach (var (address, window) in _windows)
        {
            if (now - window.Start >= length)
            {
                _windows.TryRemove(address, out _);
            }
        }
    }

    private sealed class Window
    {
        public DateTimeOffset Start;
        public int Failures;

        /// <summary>Lookups admitted and not yet answered (kept across a window change: they are still running).</summary>
        public int InFlight;
    }
}
