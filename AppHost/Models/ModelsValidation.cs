using System.Text.RegularExpressions;

namespace AgentCloud.AppHost.Models;

/// <summary>Checks <c>AgentCloud:Models</c> completely before anything starts; every problem is said with where it is and how to fix it.</summary>
public static partial class ModelsValidation
{
    private static readonly string[] KnownTiers = ["free", "pro", "enterprise"];

    public static IReadOnlyList<string> Problems(ModelsConfiguration config)
    {
        var problems = new List<string>();
        const string root = ModelsConfiguration.SectionName;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (config.Catalogue.Count == 0)
        {
            problems.Add($"{root}:Catalogue lists no model: give each model an Id, ContextLength and Prices.");
        }
        foreach (var (m, i) in config.Catalogue.Select((m, i) => (m, i)))
        {
            var where = $"{root}:Catalogue:{i}";
            if (string.IsNullOrWhiteSpace(m.Id)) problems.Add($"{where}:Id is missing.");
            else if (!ids.Add(m.Id)) problems.Add($"{where}: model '{m.Id}' is listed twice; each public id once.");
            if (m.ContextLength < 1) problems.Add($"{where}: ContextLength of '{m.Id}' must be at least 1, not {m.ContextLength}.");
            if (m.Prices.Input < 0 || m.Prices.CachedInput < 0 || m.Prices.Output < 0)
            {
                problems.Add($"{where}:Prices of '{m.Id}' must not be negative (input {m.Prices.Input}, cached input {m.Prices.CachedInput}, output {m.Prices.Output}).");
            }
        }
        if (config.Endpoints.Count == 0)
        {
            problems.Add($"{root}:Endpoints lists no endpoint: without one no model can be served.");
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (e, i) in config.Endpoints.Select((e, i) => (e, i)))
        {
            Endpoint(e, $"{root}:Endpoints:{i}", ids, names, problems);
        }
        foreach (var (tier, t) in config.Tiers)
        {
            if (!KnownTiers.Contains(tier)) problems.Add($"{root}:Tiers:{tier}: unknown tier; use {string.Join(", ", KnownTiers)}.");
            foreach (var id in t.Models.Where(id => !ids.Contains(id))) problems.Add($"{root}:Tiers:{tier}:Models names '{id}', which is not in the Catalogue.");
            if (t.DefaultMaxOutputTokens is < 1) problems.Add($"{root}:Tiers:{tier}:DefaultMaxOutputTokens must be at least 1.");
        }
        if (config.EmbeddingModel is { } embedding && !ids.Contains(embedding))
        {
            problems.Add($"{root}:EmbeddingModel '{embedding}' is not in the Catalogue.");
        }
        var served = config.Endpoints.SelectMany(e => e.Models).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(ids.Where(id => !served.Contains(id)).Select(id => $"{root}:Catalogue: no endpoint serves '{id}'; add it to an endpoint's Models or remove it."));
        return problems;
    }

    private static void Endpoint(EndpointDefinition e, string where, HashSet<string> catalogue, HashSet<string> names, List<string> problems)
    {
        if (!ResourceName().IsMatch(e.Name)) problems.Add($"{where}:Name '{e.Name}' must be lowercase letters, digits and '-', starting with a letter (it names a resource).");
        else if (!names.Add(e.Name)) problems.Add($"{where}: endpoint name '{e.Name}' is used twice.");
        var kind = e.Kind;
        if (!EndpointKindNames.ToRouter.ContainsKey(kind))
        {
            problems.Add($"{where}:Kind '{kind}' is unknown; use one of {string.Join(", ", EndpointKindNames.ToRouter.Keys)}.");
        }
        else if (kind == EndpointKindNames.Simulator)
        {
            if (!string.IsNullOrEmpty(e.BaseUrl)) problems.Add($"{where}: a simulator endpoint is started by the AppHost; remove BaseUrl '{e.BaseUrl}'.");
        }
        else if (!Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query))
        {
            // Not echoed: a URL with credentials in it would put them in the log.
            problems.Add($"{where}:BaseUrl must be an absolute http(s) URL with its version path and no credentials or query, such as https://api.openai.com/v1.");
        }
        if (EndpointKindNames.NeedsKey(kind) && string.IsNullOrWhiteSpace(e.KeyParameter))
        {
            problems.Add($"{where}: a {kind} endpoint needs KeyParameter, the name of the AppHost secret parameter holding its key.");
        }
        if (!string.IsNullOrEmpty(e.KeyParameter) && !ResourceName().IsMatch(e.KeyParameter))
        {
            // Not echoed: what was written here may be the key itself.
            problems.Add($"{where}:KeyParameter must be a parameter name (lowercase letters, digits, '-'); the key itself goes in the parameter (Parameters:<name>, user secrets or azd), never here.");
        }
        if (!string.IsNullOrEmpty(e.ApiVersion) && kind != "azure-openai") problems.Add($"{where}: ApiVersion is for azure-openai endpoints only.");
        switch (e.Placement)
        {
            case "shared" when !string.IsNullOrWhiteSpace(e.Tier) || !string.IsNullOrWhiteSpace(e.TenantId):
                problems.Add($"{where}: a shared endpoint takes neither Tier nor TenantId; use Placement 'dedicated' to reserve it.");
                break;
            case "dedicated" when string.IsNullOrWhiteSpace(e.Tier) == string.IsNullOrWhiteSpace(e.TenantId):
                problems.Add($"{where}: a dedicated endpoint needs exactly one of Tier (a pool for that tier's tenants) or TenantId (one tenant's own).");
                break;
            case "dedicated" when e.Tier is { Length: > 0 } tier && !KnownTiers.Contains(tier):
                problems.Add($"{where}:Tier '{tier}' is unknown; use {string.Join(", ", KnownTiers)}.");
                break;
            case "shared" or "dedicated":
                break;
            default:
                problems.Add($"{where}:Placement must be 'shared' or 'dedicated', not '{e.Placement}'.");
                break;
        }
        if (e.Models.Count == 0) problems.Add($"{where}:Models lists nothing this endpoint serves.");
        var publicIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (m, j) in e.Models.Select((m, j) => (m, j)))
        {
            if (!catalogue.Contains(m.Id)) problems.Add($"{where}:Models:{j}: '{m.Id}' is not in the Catalogue; add it there with its context length and prices.");
            if (!publicIds.Add(m.Id)) problems.Add($"{where}:Models:{j}: '{m.Id}' is listed twice on this endpoint; one public id maps to one upstream model.");
            if (m.Upstream is { } upstream && string.IsNullOrWhiteSpace(upstream)) problems.Add($"{where}:Models:{j}:Upstream of '{m.Id}' is empty; leave it out to send the public id.");
        }
        if (e.TokensPerMinute < 0) problems.Add($"{where}:TokensPerMinute must not be negative.");
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex ResourceName();
}
