namespace AgentCloud.Faults.Harness;

/// <summary>
/// Served calls against the usage events recorded for them, per tenant and kind. A call served is billed exactly
/// once; a call in doubt (its caller saw no clean answer, or the Gateway lost its upstream mid-call) may or may not
/// have been done and billed, so it may account for one event at most.
/// </summary>
public sealed record UsageTally(IReadOnlyList<UsageTally.Line> Lines)
{
    public sealed record Line(string TenantId, string Kind, int Served, int InDoubt, long Billed)
    {
        public long Lost => Math.Max(0, Served - Billed);

        public long Doubled => Math.Max(0, Billed - Served - InDoubt);

        public override string ToString() => $"{TenantId} {Kind}: served {Served}, in doubt {InDoubt}, billed {Billed}";
    }

    public long Lost => Lines.Sum(l => l.Lost);

    public long Doubled => Lines.Sum(l => l.Doubled);

    public int InDoubt => Lines.Sum(l => l.InDoubt);

    public bool Settled => Lines.All(l => l.Billed >= l.Served);
}
