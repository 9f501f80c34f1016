using AgentCloud.ControlPlane.Extensions;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// The wait before a delivery's next attempt: <c>InitialBackoff × 2^(attempts − 1)</c>, at most <c>MaxBackoff</c>, of which a
/// random half is taken off (jitter), so receivers that failed together are not retried together.
/// </summary>
public static class DeliveryBackoff
{
    public static TimeSpan After(int attemptsMade, AlertOptions options, Random random)
    {
        var exponent = Math.Clamp(attemptsMade - 1, 0, 30);
        var full = Math.Min(options.InitialBackoff.TotalMilliseconds * Math.Pow(2, exponent), options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full * (0.5 + random.NextDouble() / 2));
    }
}
