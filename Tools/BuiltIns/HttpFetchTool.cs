using System.Net.Http.Headers;
using System.Text;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Egress;
using AgentCloud.Tools.Extensions;
using AgentCloud.Tools.Platform;
using Microsoft.Extensions.Options;

namespace AgentCloud.Tools.BuiltIns;

/// <summary>
/// <c>http.fetch</c>: a GET or POST to a host on the tenant's egress allowlist, under the SSRF rules, with the vault
/// credential of the integration serving that host injected as the header the integration defines. The agent never
/// sees the credential: it is added here and scrubbed from whatever comes back.
/// </summary>
public sealed class HttpFetchTool(
    IHttpClientFactory httpClients, ITenantPolicySource policies, VaultCredentials vault, GuardedConnector connector, IOptions<ToolsOptions> options) : IBuiltInTool
{
    public const string HttpClientName = "agentcloud-tools-egress";

    public ToolDescriptor Descriptor { get; } = new("http.fetch", "Fetch a URL on the tenant's egress allowlist; credentials for known integrations are added by the platform.",
        Schemas.Object(["url"],
            ("url", "string", "An http or https URL whose host is on the egress allowlist."),
            ("method", "string", "GET (default) or POST."),
            ("body", "string", "The request body for POST, sent as JSON.")));

    public async Task<ToolOutcome> InvokeAsync(ToolInvocation call, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(call.String("url"), UriKind.Absolute, out var url))
        {
            throw new ToolRefusal("'url' is required: an absolute http or https URL.");
        }
        if (AddressRules.RefuseUrl(url) is { } refusal)
        {
            throw new ToolRefusal(refusal);
        }
        var policy = await policies.GetAsync(call.Caller, cancellationToken) ?? throw new ToolRefusal("The calling tenant no longer exists.");
        if (!DomainAllowlist.Allows(policy.Egress, url.IdnHost))
        {
            throw new ToolRefusal($"'{url.IdnHost}' is not on this tenant's egress allowlist.");
        }
        var method = (call.String("method") ?? "GET").ToUpperInvariant();
        if (method is not ("GET" or "POST"))
        {
            throw new ToolRefusal($"'method' must be GET or POST, not '{method}'.");
        }
        // Checked before the vault is asked, so no credential is revealed for a call that may not go out; the
        // connector checks again at connect time.
        if ((await connector.AdmittedAddressesAsync(url.IdnHost, cancellationToken)).Count == 0)
        {
            throw new EgressRefusedException($"'{url.IdnHost}' resolves only to loopback, private or link-local addresses, which tools may not reach.");
        }
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            request.Content = new StringContent(call.String("body") ?? "", Encoding.UTF8, "application/json");
        }
        if (IntegrationFor(url.IdnHost) is { } integration)
        {
            var secret = await vault.RevealAsync(call, integration.Name, cancellationToken);
            var value = string.IsNullOrEmpty(integration.Options.Scheme) ? secret : $"{integration.Options.Scheme} {secret}";
            request.Headers.TryAddWithoutValidation(integration.Options.Header, value);
        }
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("agentcloud-tools", "1"));

        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await ReadCappedAsync(response, options.Value.MaxResultBytes, cancellationToken);
        var text = $"HTTP {(int)response.StatusCode}\n{body}";
        return response.IsSuccessStatusCode ? ToolOutcome.Ok(text) : ToolOutcome.Error(text);
    }

    private (string Name, IntegrationOptions Options)? IntegrationFor(string host)
    {
        foreach (var (name, integration) in options.Value.Integrations)
        {
            if (DomainAllowlist.Allows(integration.Hosts, host))
            {
                return (name, integration);
            }
        }
        return null;
    }

    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[maxBytes];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += n;
        }
        var text = Encoding.UTF8.GetString(buffer, 0, length);
        return length == buffer.Length ? text + $"\n[truncated at {maxBytes} bytes]" : text;
    }
}
