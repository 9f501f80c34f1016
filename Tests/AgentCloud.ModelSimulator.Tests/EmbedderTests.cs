using AgentCloud.ModelSimulator.Inference;

namespace AgentCloud.ModelSimulator.Tests;

public sealed class EmbedderTests
{
    [Fact]
    public void Embeddings_are_normalised_and_deterministic()
    {
        var a = Embedder.Embed("The quick brown fox", 384);
        var b = Embedder.Embed("The quick brown fox", 384);

        Assert.Equal(384, a.Length);
        Assert.Equal(a, b);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(x => (double)x * x)), 5);
    }

    [Theory]
    [InlineData("the cat sat on the mat", "a cat lay on a mat", "quarterly revenue grew in europe")]
    [InlineData("deploy the postgres database backup", "restore a postgres backup", "my favourite pasta recipe")]
    [InlineData("Invoice 2024 for ACME", "acme invoice", "weather forecast for tomorrow")]
    public void Texts_sharing_words_score_higher_than_unrelated_texts(string query, string related, string unrelated)
    {
        var q = Embedder.Embed(query, 384);

        var near = Embedder.Cosine(q, Embedder.Embed(related, 384));
        var far = Embedder.Cosine(q, Embedder.Embed(unrelated, 384));

        Assert.True(near > far + 0.2, $"related {near:F3} should beat unrelated {far:F3} clearly");
    }

    [Fact]
    public void Case_and_punctuation_do_not_change_the_meaning()
    {
        var a = Embedder.Embed("Hello, World!", 128);
        var b = Embedder.Embed("hello world", 128);

        Assert.Equal(1.0, Embedder.Cosine(a, b), 5);
    }
}
