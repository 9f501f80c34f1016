using System.Text.RegularExpressions;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Finds links in a repository's Markdown and C# files that lead outside it: a relative link that resolves above the
/// repository's root or to nothing in it, a mention of a design folder outside the repository, or a C# mention of a
/// Markdown file the repository does not hold (file names compared case-sensitively, as on Linux).
/// </summary>
public static partial class RepositoryLinks
{
    private static readonly string[] SkippedFolders = ["bin", "obj", ".git", "node_modules", "TestResults"];

    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentCloud.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("AgentCloud.sln not found above " + AppContext.BaseDirectory);
    }

    public static List<string> Problems(string root)
    {
        root = Path.GetFullPath(root);
        var files = Files(root).ToList();
        var markdownNames = files.Where(f => f.EndsWith(".md", StringComparison.Ordinal)).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file);
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var where = $"{relative}:{i + 1}";
                var line = lines[i];
                if (OutsideFolder().IsMatch(line))
                {
                    problems.Add($"{where}: mentions a folder outside the repository: {OutsideFolder().Match(line).Value}");
                }
                var links = file.EndsWith(".md", StringComparison.Ordinal)
                    ? MarkdownLink().Matches(line).Select(m => m.Groups["target"].Value)
                    : Href().Matches(line).Select(m => m.Groups["target"].Value);
                foreach (var target in links)
                {
                    if (LeavesRepository(root, Path.GetDirectoryName(file)!, target) is { } reason)
                    {
                        problems.Add($"{where}: link '{target}' {reason}");
                    }
                }
                if (file.EndsWith(".cs", StringComparison.Ordinal))
                {
                    foreach (Match mention in MarkdownMention().Matches(line))
                    {
                        var name = Path.GetFileName(mention.Value);
                        if (!markdownNames.Contains(name))
                        {
                            problems.Add($"{where}: mentions '{mention.Value}', which the repository does not hold");
                        }
                    }
                }
            }
        }
        return problems;
    }

    private static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => f.EndsWith(".md", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(SkippedFolders.Contains));

    /// <summary>Why a link leads outside the repository; null when it stays inside (or is a web address or an anchor).</summary>
    private static string? LeavesRepository(string root, string folder, string target)
    {
        if (target.Length == 0 || target.StartsWith('#') || Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto")
        {
            return null;
        }
        if (target.StartsWith('/'))
        {
            return null; // a path the platform serves (/docs), not a file
        }
        var path = target.Split('#', '?')[0];
        var full = Path.GetFullPath(Path.Combine(folder, Uri.UnescapeDataString(path)));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != root)
        {
            return "resolves outside the repository";
        }
        return File.Exists(full) || Directory.Exists(full) ? null : "leads to nothing in the repository";
    }

    [GeneratedRegex(@"(\.\./)+shared\b|\bshared/(design|seed)\b|/work/share[d]", RegexOptions.IgnoreCase)]
    private static partial Regex OutsideFolder();

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"href\s*=\s*[""'](?<target>[^""']+)[""']", RegexOptions.IgnoreCase)]
    private static partial Regex Href();

    [GeneratedRegex(@"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b")]
    private static partial Regex MarkdownMention();
}
