using AgentCloud.ControlPlane.Extensions;
using AgentCloud.ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Every <see cref="ControlPlaneOptions.RefusalAuditWindow"/>, appends one <c>keys.refused</c> entry per tenant and
/// caller to the tenant's trail, with the window, the count, the reasons and the keys (at most 20) that were refused.
/// </summary>
public sealed class RefusedKeyAuditFlusher(
    RefusedKeyTally tally, IServiceScopeFactory scopes, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<RefusedKeyAuditFlusher> logger)
    : BackgroundService
{
    public const string Action = "keys.refused";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var from = time.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.RefusalAuditWindow, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                from = await FlushAsync(from, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await FlushAsync(from, CancellationToken.None);
    }

    /// <summary>Writes the window that ends now; the start of the next one.</summary>
    public async Task<DateTimeOffset> FlushAsync(DateTimeOffset from, CancellationToken ct)
    {
        var (groups, dropped) = tally.Take();
        var to = time.GetUtcNow();
        if (dropped > 0)
        {
            logger.LogWarning("{Dropped} refused key uses in the window to {To} were over the per-window tenant bound and are not audited", dropped, to);
        }
        foreach (var ((tenantId, actor), group) in groups)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TenantDb>();
                var audit = scope.ServiceProvider.GetRequiredService<AuditLog>();
                await db.InTenantAsync(tenantId, async ctx =>
                {
                    await audit.AppendAsync(ctx, tenantId, actor, Action, new { from, to, count = group.Count, reasons = group.Reasons, keys = group.Keys }, ct);
                    return true;
                }, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not audit {Count} refused key uses of tenant {TenantId}", group.Count, tenantId);
            }
        }
        return to;
    }
}
