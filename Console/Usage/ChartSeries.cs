namespace AgentCloud.Console.Usage;

/// <summary>One bar of a chart: its label (a day or a model) and its value.</summary>
public sealed record ChartPoint(string Label, decimal Value);

/// <summary>A chart's data: a title, the unit its values are in, and the bars in order.</summary>
public sealed record ChartSeries(string Title, string Unit, IReadOnlyList<ChartPoint> Points)
{
    public decimal Max => Points.Count == 0 ? 0 : Points.Max(p => p.Value);
}
