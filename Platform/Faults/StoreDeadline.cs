using System.Data.Common;
using StackExchange.Redis;

namespace AgentCloud.Platform.Faults;

/// <summary>
/// Runs one store call on a request path under a deadline: the call gets a token cancelled at the deadline, and the
/// caller stops waiting at the deadline even when the store (a paused process) never looks at that token.
/// A store that is late, unreachable or failing transiently becomes a <see cref="StoreUnavailableException"/>.
/// </summary>
public static class StoreDeadline
{
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    public static async Task<T> RunAsync<T>(string store, TimeSpan deadline, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(deadline);
        try
        {
            return await call(cts.Token).WaitAsync(deadline, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsStoreAway(e))
        {
            throw new StoreUnavailableException(store, DefaultRetryAfter, e);
        }
    }

    public static Task RunAsync(string store, TimeSpan deadline, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        RunAsync(store, deadline, async token =>
        {
            await call(token);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Whether an exception (or one it wraps) says the store is away rather than that the request was wrong: a
    /// deadline, a lost or refused connection, or a failure the driver itself calls transient.
    /// </summary>
    public static bool IsStoreAway(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is StoreUnavailableException or TimeoutException or OperationCanceledException or RedisConnectionException
                or RedisTimeoutException or DbException { IsTransient: true } or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
        return false;
    }
}
