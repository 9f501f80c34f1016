using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace AgentCloud.InferenceRouter.Tests.Scheduling;

/// <summary>Counts the calls an upstream is serving at once, whoever sent them, and keeps the most it ever saw.</summary>
internal sealed class ConcurrentCallsProbe : IStartupFilter
{
    private int _now;
    private int _most;

    public int Most => Volatile.Read(ref _most);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            var now = Interlocked.Increment(ref _now);
            for (var most = Volatile.Read(ref _most); now > most; most = Volatile.Read(ref _most))
            {
                Interlocked.CompareExchange(ref _most, now, most);
            }
            try
            {
                await inner(context);
            }
            finally
            {
                Interlocked.Decrement(ref _now);
            }
        });
        next(app);
    };
}
