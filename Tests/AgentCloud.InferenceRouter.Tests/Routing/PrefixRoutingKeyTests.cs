using AgentCloud.InferenceRouter.Admission;
using AgentCloud.InferenceRouter.Endpoints;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Tests.Routing;

public sealed class PrefixRoutingKeyTests
{
    private static readonly PromptTokenCounter Tokens = new();
    private static readonly string SystemPrompt = "<system>\n" + string.Join(' ', Enumerable.Range(0, 120).Select(i => $"rule{i}")) + "\n";

    private static PrefixRoutingKey Keys(int blockTokens = 16, int blocks = 8) =>
        new(Tokens, Options.Create(new RoutingOptions { PrefixBlockTokens = blockTokens, PrefixBlocks = blocks }));

    [Fact]
    public void Prompts_sharing_the_leading_blocks_share_a_key_whatever_follows()
    {
        var keys = Keys();

        var first = keys.For("salt-a", SystemPrompt + "<user>\nWhat is the refund policy?\n");
        var second = keys.For("salt-a", SystemPrompt + "<user>\nSummarise this contract.\n");

        Assert.Equal(first, second);
    }

    [Fact]
    public void The_same_prompt_under_two_salts_gets_unrelated_keys()
    {
        var keys = Keys();

        Assert.NotEqual(keys.For("salt-a", SystemPrompt), keys.For("salt-b", SystemPrompt));
    }

    [Fact]
    public void A_change_inside_the_leading_blocks_changes_the_key()
    {
        var keys = Keys();

        Assert.NotEqual(keys.For("salt-a", SystemPrompt), keys.For("salt-a", "<system>\nrule-zero " + SystemPrompt[9..]));
    }

    [Fact]
    public void Only_full_blocks_count_so_a_ragged_tail_does_not_change_the_key()
    {
        var ids = Tokens.Leading(SystemPrompt, 48);

        Assert.Equal(PrefixRoutingKey.Hash("s", ids.Take(32).ToList(), 16), PrefixRoutingKey.Hash("s", ids.Take(47).ToList(), 16));
        Assert.NotEqual(PrefixRoutingKey.Hash("s", ids.Take(32).ToList(), 16), PrefixRoutingKey.Hash("s", ids.Take(48).ToList(), 16));
    }

    [Fact]
    public void The_leading_tokens_are_those_of_the_whole_prompt()
    {
        var all = Tokens.Leading(SystemPrompt, 100_000);

        Assert.Equal(all.Take(128), Tokens.Leading(SystemPrompt, 128));
    }
}
