using AgentCloud.ControlPlane.Extensions;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// Delivers pending alerts. Each due row is claimed in Postgres (<c>FOR UPDATE SKIP LOCKED</c>, so replicas share the work)
/// by counting the attempt and leasing it: a replica that dies mid-attempt leaves a row that is due again when the lease
/// ends. Attempts run side by side, up to <c>MaxConcurrentDeliveries</c>; the outcome (delivered, the next attempt after a
/// backoff, or failed after N attempts) is written back to the row.
/// </summary>
public sealed class AlertDeliveryWorker(
    IServiceScopeFactory scopes, WebhookSender sender, IOptions<AlertOptions> options, AlertDeliverySignal signal, TimeProvider time,
    ILogger<AlertDeliveryWorker> logger) : BackgroundService
{
    private AlertOptions Options => options.Value;

    private sealed record Claimed(string AlertId, string TenantId, string Body, int Attempts);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentDeliveries);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var slots = _slots;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var free = Math.Min(slots.CurrentCount, Options.BatchSize);
                var claimed = free == 0 ? [] : await ClaimAsync(free, stoppingToken);
                foreach (var delivery in claimed)
                {
                    await slots.WaitAsync(stoppingToken);
                    var attempt = Task.Run(async () =>
                    {
                        try
                        {
                            await AttemptAsync(delivery, stoppingToken);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    }, CancellationToken.None);
                    _inFlight.TryAdd(attempt, 0);
                    _ = attempt.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
                }
                if (claimed.Count == 0)
                {
                    await signal.WaitAsync(Options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            // Postgres away: nothing was claimed, or the claim rolled back; the rows are still due.
            catch (Exception e)
            {
                logger.LogError(e, "Claiming alert deliveries failed; retrying");
                await Task.Delay(Options.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Stopping cancels the attempts under way and waits for them to let go of their rows (they are made again after the lease).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_inFlight.Keys).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }

    /// <summary>An attempt not finished by then (its replica died) is made again: the timeout plus room to record the outcome.</summary>
    private TimeSpan Lease => Options.AttemptTimeout * 2 + TimeSpan.FromSeconds(5);

    private async Task<IReadOnlyList<Claimed>> ClaimAsync(int count, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TenantDb>();
        return await db.InPlatformScopeAsync<IReadOnlyList<Claimed>>(async c =>
        {
            var now = time.GetUtcNow();
            var due = await c.AlertDeliveries.FromSql($"""
                SELECT * FROM alert_deliveries WHERE state = {AlertDeliveryStates.Pending} AND next_attempt_at <= {now}
                ORDER BY next_attempt_at LIMIT {count} FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct);
            foreach (var row in due)
            {
                if (row.Attempts >= Options.MaxAttempts)
                {
                    // Its attempts were used up without an outcome recorded (each ended in an error of ours): it is over.
                    (row.State, row.CompletedAt) = (AlertDeliveryStates.Failed, now);
                    row.LastError ??= $"no outcome recorded after {row.Attempts} attempts";
                    continue;
                }
                row.Attempts++;
                row.NextAttemptAt = now + Lease;
            }
            await c.SaveChangesAsync(ct);
            return due.Where(r => r.State == AlertDeliveryStates.Pending).Select(r => new Claimed(r.AlertId, r.TenantId, r.Body, r.Attempts)).ToList();
        }, ct);
    }

    private async Task AttemptAsync(Claimed delivery, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var webhook = await scope.ServiceProvider.GetRequiredService<AlertWebhookService>().RevealAsync(delivery.TenantId, ct);
            var result = webhook is { } w
                ? await sender.SendAsync(w.Url, w.Secret, delivery.AlertId, delivery.Body, ct)
                : null;
            var state = await RecordAsync(scope.ServiceProvider.GetRequiredService<TenantDb>(), delivery, result, ct);
            logger.LogInformation("Alert {AlertId} of tenant {TenantId}: attempt {Attempt} {Outcome} (status {Status}); delivery is {State}",
                delivery.AlertId, delivery.TenantId, delivery.Attempts, result?.Verdict.ToString() ?? "skipped", result?.Status, state);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease ends and the attempt is made again, by this replica after its restart or by another.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Recording the outcome of alert {AlertId} failed; it is attempted again when its lease ends", delivery.AlertId);
        }
    }

    /// <summary>Writes an attempt's outcome, unless the row moved on meanwhile (its lease ended and another attempt claimed it).</summary>
    private Task<string?> RecordAsync(TenantDb db, Claimed delivery, AttemptResult? result, CancellationToken ct) => db.InTenantAsync(delivery.TenantId, async c =>
    {
        var row = await c.AlertDeliveries.SingleOrDefaultAsync(d => d.AlertId == delivery.AlertId && d.Attempts == delivery.Attempts && d.State == AlertDeliveryStates.Pending, ct);
        if (row is null)
        {
            return null;
        }
        var now = time.GetUtcNow();
        if (result is null)
        {
            (row.State, row.LastError) = (AlertDeliveryStates.NoWebhook, "the tenant's webhook was removed before the alert was delivered");
        }
        else
        {
            (row.LastStatus, row.LastError) = (result.Status, result.Error);
            row.State = result.Verdict switch
            {
                AttemptVerdict.Delivered => AlertDeliveryStates.Delivered,
                AttemptVerdict.Retry when row.Attempts < Options.MaxAttempts => AlertDeliveryStates.Pending,
                _ => AlertDeliveryStates.Failed,
            };
        }
        if (row.State == AlertDeliveryStates.Pending)
        {
            row.NextAttemptAt = now + DeliveryBackoff.After(row.Attempts, Options, Random.Shared);
        }
        else
        {
            row.CompletedAt = now;
        }
        await c.SaveChangesAsync(ct);
        return row.State;
    }, ct);
}
