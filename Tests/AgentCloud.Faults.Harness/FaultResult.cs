namespace AgentCloud.Faults.Harness;

/// <summary>What one fault did to the traffic and to the usage record.</summary>
public sealed record FaultResult(
    PlatformFault Fault,
    IReadOnlyList<CallOutcome> Outcomes,
    UsageTally Usage,
    TimeSpan? Recovery,
    IReadOnlyList<string> Drift,
    TimeSpan? Revocation,
    DateTimeOffset InjectedAt,
    DateTimeOffset UndoneAt)
{
    public int Count(Verdict verdict) => Outcomes.Count(o => o.Verdict == verdict);

    public double SlowestMilliseconds => Outcomes.Count == 0 ? 0 : Outcomes.Max(o => o.Milliseconds);

    /// <summary>The calls that broke a promise, for a failure message.</summary>
    public IEnumerable<CallOutcome> Failures => Outcomes.Where(o => o.Verdict == Verdict.Failed
        || (o.Verdict is Verdict.Unreachable or Verdict.Cut && !Fault.GatewayDown)
        || (o.Verdict == Verdict.Gone && !Fault.BrokerRestarted));

    /// <summary>A served call at least this slow is listed in the timeline too: it used half its answer deadline.</summary>
    public static readonly TimeSpan SlowCall = SteadyTraffic.AnswerDeadline / 2;

    /// <summary>
    /// Every call not served, and every slow one, with when it ended relative to the fault: for a failure message or a
    /// verbose run (the slow ones show how close the suite came to its deadline, and where).
    /// </summary>
    public IEnumerable<string> Timeline => Outcomes.Where(o => o.Verdict != Verdict.Served || o.Milliseconds >= SlowCall.TotalMilliseconds)
        .Select(o => $"{(o.EndedAt - InjectedAt).TotalMilliseconds,7:F0} ms after the fault ({(o.EndedAt - UndoneAt).TotalMilliseconds:F0} after its undo): {o}");

    public static string TableHeader =>
        $"| fault | served | refused | unreachable | cut | failed | lost | doubled | in doubt | slowest ms | recovery ms | drift | revoked in ms |\n" +
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

    public string TableRow =>
        $"| {Fault.Name} | {Count(Verdict.Served)} | {Count(Verdict.Refused)} | {Count(Verdict.Unreachable)} | {Count(Verdict.Cut)} | {Failures.Count()} | {Usage.Lost} | {Usage.Doubled} | " +
        $"{Usage.InDoubt} | {SlowestMilliseconds:F0} | {(Recovery is { } rec ? rec.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture) : "never")} | {Drift.Count} | {(Revocation is { } r ? r.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture) : "never")} |";
}
