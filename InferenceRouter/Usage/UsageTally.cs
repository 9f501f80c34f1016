using System.Text;
using AgentCloud.InferenceRouter.Admission;

namespace AgentCloud.InferenceRouter.Usage;

/// <summary>
/// What one dispatched request has used so far: the upstream's own usage report when it came, else the streamed
/// text counted by the router. Claimed once, so its usage event is written exactly once.
/// </summary>
public sealed class UsageTally(InferenceCall call)
{
    private readonly StringBuilder _streamed = new();
    private int _claimed;

    public InferenceCall Call => call;
    public string EventId { get; } = Guid.CreateVersion7().ToString("N");
    public string Status { get; set; } = "error";
    public long? ReportedInput { get; private set; }
    public long ReportedCached { get; private set; }
    public long? ReportedOutput { get; private set; }
    public string StreamedText => _streamed.ToString();

    public void Report(long input, long cached, long output)
    {
        ReportedInput = input;
        ReportedCached = cached;
        ReportedOutput = output;
    }

    public void AddStreamed(string text) => _streamed.Append(text);

    /// <summary>True for the first caller only.</summary>
    public bool Claim() => Interlocked.Exchange(ref _claimed, 1) == 0;
}
