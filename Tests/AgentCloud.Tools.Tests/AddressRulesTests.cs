using System.Net;
using AgentCloud.Tools.Egress;

namespace AgentCloud.Tools.Tests;

public sealed class AddressRulesTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Internal_addresses_are_not_public(string address) => Assert.False(AddressRules.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("140.82.112.5")]
    [InlineData("2606:4700::1111")]
    public void Internet_addresses_are_public(string address) => Assert.True(AddressRules.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.org/x")]
    [InlineData("http://user:pass@example.org/")]
    [InlineData("http://controlplane/internal/v1/keys/resolve")]
    [InlineData("http://memory/v1/memory/x/search")]
    public void Urls_that_are_no_tool_endpoint_are_refused_before_any_lookup(string url) =>
        Assert.NotNull(AddressRules.RefuseUrl(new Uri(url)));

    [Theory]
    [InlineData("https://api.github.com/user")]
    [InlineData("http://localhost:8091/mcp")]
    public void Ordinary_urls_pass_the_url_rules(string url) => Assert.Null(AddressRules.RefuseUrl(new Uri(url)));

    [Theory]
    [InlineData("api.github.com", true)]
    [InlineData("API.GitHub.com.", true)]
    [InlineData("x.example.org", true)]
    [InlineData("example.org", false)]
    [InlineData("evil-api.github.com", false)]
    [InlineData("api.github.com.evil.net", false)]
    public void The_egress_allowlist_matches_hosts_and_subdomain_wildcards(string host, bool allowed) =>
        Assert.Equal(allowed, DomainAllowlist.Allows(["api.github.com", "*.example.org"], host));
}
