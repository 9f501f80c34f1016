using AgentCloud.Platform.Pricing;

namespace AgentCloud.UsageAggregator.Extensions;

/// <summary>
/// Model prices from configuration (the AppHost passes those of <c>AgentCloud:Models</c>), per million tokens. At start
/// each is written to the price table as a new row when it differs from the price in force, so a change takes effect
/// from then on and events already priced keep their price.
/// </summary>
public sealed class PriceListOptions : ModelPriceList
{
    public const string SectionName = "UsageAggregator:Prices";

    protected override string Section => SectionName;
}
