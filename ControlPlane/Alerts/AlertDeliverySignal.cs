namespace AgentCloud.ControlPlane.Alerts;

/// <summary>Lets the stream consumer wake the delivery worker when it has recorded alerts, instead of waiting for its next poll.</summary>
public sealed class AlertDeliverySignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another wake got there first: one is enough.
            }
        }
    }

    /// <summary>Returns when woken or after <paramref name="timeout"/>, whichever is first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);
}
