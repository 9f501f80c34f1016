using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tools.Access;

namespace AgentCloud.Tools.Tests;

/// <summary>The rule itself: the tenant's allowlist and the key's capability must both admit a tool.</summary>
public sealed class ToolAccessTests
{
    private static readonly TenantPolicy Policy = new() { TenantId = "t1", Tier = "pro", Tools = ["memory.search", "tickets.create"] };

    private static TenantContext Key(params string[] capabilities) => new("t1", "pro", "key:k1", capabilities);

    [Fact]
    public void A_tool_needs_both_the_allowlist_and_the_capability()
    {
        var key = Key("tool:memory.search", "tool:http.fetch");

        Assert.True(ToolAccess.Allows(Policy, key, "memory.search"));
        Assert.False(ToolAccess.Allows(Policy, key, "http.fetch"));      // capability without allowlist
        Assert.False(ToolAccess.Allows(Policy, key, "tickets.create"));  // allowlist without capability
        Assert.Equal(["memory.search"], ToolAccess.Permitted(Policy, key));
    }

    [Theory]
    [InlineData("tool:*")]
    [InlineData("tool:tickets")]
    [InlineData("tool:Tickets.create")]
    [InlineData("tickets.create")]
    [InlineData("platform:admin")]
    public void No_capability_but_the_exact_tool_name_admits_it(string capability) =>
        Assert.False(ToolAccess.Allows(Policy, Key(capability), "tickets.create"));

    [Fact]
    public void The_platforms_own_contexts_use_no_tenant_tools()
    {
        var op = new TenantContext(TenantContext.PlatformTenantId, "platform", "operator", [TenantContext.AdminCapability, "tool:memory.search"]);

        Assert.False(ToolAccess.Allows(Policy with { TenantId = TenantContext.PlatformTenantId }, op, "memory.search"));
    }
}
