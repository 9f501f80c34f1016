namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The repository is the product: its Markdown and its code link only to what it holds, or to what the platform
/// serves (<c>/docs</c>), never to design notes a user does not have.
/// </summary>
public sealed class RepositoryLinksTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("agentcloud-links-").FullName;

    [Fact]
    public void No_markdown_or_code_in_the_repository_links_outside_it()
    {
        var root = RepositoryLinks.FindRoot();
        Assert.True(File.Exists(Path.Combine(root, "docs", "api.md")), "docs/api.md is the public contract");

        var problems = RepositoryLinks.Problems(root);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    // Spelled in pieces so that this file itself holds no such link.
    private const string Up = "..";
    private const string DesignFolder = Up + "/shar" + "ed/des" + "ign/";
    private const string OldContract = "API" + ".md";

    [Fact]
    public void Links_that_leave_the_repository_or_lead_nowhere_are_found()
    {
        var repo = Directory.CreateDirectory(Path.Combine(_scratch, "repo")).FullName;
        Directory.CreateDirectory(Path.Combine(repo, "docs"));
        File.WriteAllText(Path.Combine(repo, "docs", "api.md"), "# api\n[up](../README.md) [web](https://example.org) [docs](/docs) [here](#api)\n");
        File.WriteAllText(Path.Combine(repo, "README.md"),
            $"[contract](docs/api.md)\n[design]({DesignFolder}{OldContract})\n[gone](docs/missing{".md"})\n[escape]({Up}/{Up}/etc/passwd)\n");
        File.WriteAllText(Path.Combine(repo, "Thing.cs"),
            $"/// <summary>As {OldContract} says; see <see href=\"{Up}/outside{".md"}\"/> and docs/api.md.</summary>\nclass Thing;\n");

        var problems = RepositoryLinks.Problems(repo);

        Assert.Contains(problems, p => p.StartsWith("README.md:2", StringComparison.Ordinal) && p.Contains("outside the repository", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("README.md:3", StringComparison.Ordinal) && p.Contains("leads to nothing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("README.md:4", StringComparison.Ordinal) && p.Contains("resolves outside", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Thing.cs:1", StringComparison.Ordinal) && p.Contains($"'{OldContract}'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Thing.cs:1", StringComparison.Ordinal) && p.Contains($"'{Up}/outside{".md"}'", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.StartsWith("docs", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("'docs/api.md'", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
