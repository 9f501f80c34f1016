using AgentCloud.ModelSimulator.Inference;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class TokenizerTests
{
    private static readonly SimTokenizer Tokenizer = new();

    [Theory]
    [InlineData("hello world", 2)]
    [InlineData("tiktoken is great!", 6)]
    [InlineData("Hello, world!", 4)]
    [InlineData("", 0)]
    public void Counts_are_those_of_cl100k_base(string text, int expected) =>
        Assert.Equal(expected, Tokenizer.Count(text));

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(500)]
    public void A_generated_answer_has_exactly_as_many_tokens_as_planned(int maxTokens)
    {
        var plan = TextGenerator.PlanFor("sim-small", "any prompt", maxTokens, minTokens: maxTokens);

        var text = string.Concat(TextGenerator.Tokens(plan));

        Assert.Equal(maxTokens, plan.Length);
        Assert.Equal(maxTokens, Tokenizer.Count(text));
    }

    [Fact]
    public void The_natural_answer_is_cut_at_max_tokens_and_says_so()
    {
        var natural = TextGenerator.PlanFor("sim-small", "why is the sky blue?", null, 0);

        var cut = TextGenerator.PlanFor("sim-small", "why is the sky blue?", 3, 0);

        Assert.InRange(natural.Length, TextGenerator.MinNaturalLength, TextGenerator.MaxNaturalLength);
        Assert.False(natural.Truncated);
        Assert.Equal(3, cut.Length);
        Assert.True(cut.Truncated);
        Assert.Equal(TextGenerator.Tokens(natural).Take(3), TextGenerator.Tokens(cut));
    }

    [Fact]
    public void Prompts_render_the_same_everywhere_so_router_and_simulator_agree()
    {
        var prompt = PromptText.Render([new ChatMessage("system", "be brief"), new ChatMessage("user", "hi")]);

        Assert.Equal("<system>\nbe brief\n<user>\nhi\n", prompt);
    }
}
