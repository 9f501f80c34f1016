using AgentCloud.Platform.Pricing;

namespace AgentCloud.InferenceRouter.Extensions;

/// <summary>
/// Model prices per million tokens (the same list the UsageAggregator bills with, passed by the AppHost): dollar budgets
/// reserve a call's worst case and settle its real cost at these prices. A model without a price costs nothing.
/// </summary>
public sealed class RouterPriceOptions : ModelPriceList
{
    public const string SectionName = "InferenceRouter:Prices";

    protected override string Section => SectionName;
}
