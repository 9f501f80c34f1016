using Microsoft.Extensions.DependencyInjection;
using AgentCloud.Console.Api;
using AgentCloud.Console.Components.Layout;
using AgentCloud.Console.Components.Pages;
using AgentCloud.Console.Components.Shared;
using AgentCloud.Console.Usage;
using Microsoft.AspNetCore.Components;

namespace AgentCloud.Console.Tests;

public sealed class SignInFormTests : ConsoleTestContext
{
    [Fact]
    public void The_sign_in_form_posts_an_anti_forgery_token_and_a_password_field_that_carries_no_value()
    {
        Services.AddSingleton(new AgentCloud.Console.Auth.KeyVerifier(new NoHttp()));

        var page = Page<SignIn>();

        var form = page.Find("form[data-testid=signin-form]");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal(AntiforgeryValue, form.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value"));
        var key = page.Find("input[data-testid=key]");
        Assert.Equal("password", key.GetAttribute("type"));
        Assert.Equal("off", key.GetAttribute("autocomplete"));
        Assert.False(key.HasAttribute("value"));
    }

    [Fact]
    public void A_signed_in_user_sees_the_keys_prefix_and_never_the_key()
    {
        const string key = "ac_abcdefghijkl_SECRETPART0123456789012345678901234567";
        SignInAsTenant("t_mine", key);

        var layout = Page<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page"))));

        Assert.Contains("ac_abcdefghijkl_…", layout.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETPART", layout.Markup, StringComparison.Ordinal);
        Assert.NotNull(layout.Find("form[action=signout] input[name=__RequestVerificationToken]"));
    }

    private sealed class NoHttp : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("rendering the form calls nothing");
    }
}

public sealed class TenantListTests : ConsoleTestContext
{
    [Fact]
    public void The_operator_sees_every_tenant_the_api_lists_with_tier_status_and_levels()
    {
        SignInAsOperator();
        Api.Tenants.Add(new TenantView("t_alpha", "Alpha", "pro", "active", DateTimeOffset.UnixEpoch, new IsolationView(["process", "gvisor"], false), null));
        Api.Tenants.Add(new TenantView("t_beta", "Beta", "free", "suspended", DateTimeOffset.UnixEpoch, null, null));

        var page = Page<Tenants>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("table[data-testid=tenants] tbody tr").Count));
        var alpha = page.Find("tr[data-tenant-id=t_alpha]");
        Assert.Contains("Alpha", alpha.TextContent, StringComparison.Ordinal);
        Assert.Contains("process, gvisor", alpha.TextContent, StringComparison.Ordinal);
        Assert.Equal("tenants/t_alpha", alpha.QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("suspended", page.Find("tr[data-tenant-id=t_beta]").TextContent, StringComparison.Ordinal);
    }
}

public sealed class TenantRefusalTests : ConsoleTestContext
{
    [Fact]
    public void A_tenant_cannot_render_any_operator_page_and_nothing_is_asked_of_the_api()
    {
        SignInAsTenant("t_mine");

        var pages = new IRenderedComponent<IComponent>[]
        {
            Page<Tenants>(),
            Page<TenantDetail>(p => p.Add(d => d.TenantId, "t_mine")),
            Page<OperatorUsage>(),
            Page<Audit>(),
            Page<OperatorSandboxes>(),
        };

        Assert.All(pages, page =>
        {
            Assert.Contains("Forbidden", page.Find("[data-testid=refusal]").TextContent, StringComparison.Ordinal);
            Assert.Empty(page.FindAll("table"));
        });
        Assert.Empty(Api.Calls);
    }

    [Fact]
    public void A_tenant_asking_for_another_tenants_pages_gets_not_found_and_nothing_is_asked_of_the_api()
    {
        SignInAsTenant("t_mine");

        var pages = new IRenderedComponent<IComponent>[]
        {
            Page<TenantUsage>(p => p.Add(d => d.TenantId, "t_other")),
            Page<TenantKeys>(p => p.Add(d => d.TenantId, "t_other")),
            Page<TenantSandboxes>(p => p.Add(d => d.TenantId, "t_other")),
            Page<TenantMemory>(p => p.Add(d => d.TenantId, "t_other")),
            Page<TenantCredentials>(p => p.Add(d => d.TenantId, "t_other")),
        };

        Assert.All(pages, page => Assert.Contains("Not found", page.Find("[data-testid=refusal]").TextContent, StringComparison.Ordinal));
        Assert.Empty(Api.Calls);
    }

    [Fact]
    public void Each_key_row_revokes_through_a_posted_form_with_an_anti_forgery_token()
    {
        var keys = new[] { new KeyView("key_1", "ci", "ac_aaaaaaaaaaaa", ["inference"], DateTimeOffset.UnixEpoch, null, "interactive", null) };

        var table = Page<KeyTable>(p => p.Add(t => t.Keys, keys));

        var form = table.Find("form");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal(AntiforgeryValue, form.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value"));
        var revoke = table.Find("tr[data-key-id=key_1] button[name=RevokeKeyId]");
        Assert.Equal("key_1", revoke.GetAttribute("value"));
        Assert.DoesNotContain("secret", table.Markup, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_operator_is_not_shown_a_tenants_own_pages_either()
    {
        SignInAsOperator();

        var page = Page<TenantKeys>(p => p.Add(d => d.TenantId, "t_any"));

        Assert.NotNull(page.Find("[data-testid=refusal]"));
        Assert.Empty(Api.Calls);
    }

    [Fact]
    public void A_tenant_sees_its_own_sandboxes_page_from_its_own_api_calls()
    {
        SignInAsTenant("t_mine");

        var page = Page<TenantSandboxes>(p => p.Add(d => d.TenantId, "t_mine"));

        page.WaitForAssertion(() => Assert.Contains("No sandboxes", page.Markup, StringComparison.Ordinal));
        Assert.Equal(["own-sandboxes"], Api.Calls);
    }
}

public sealed class SandboxMemoryCredentialPageTests : ConsoleTestContext
{
    [Fact]
    public void The_operator_sees_every_tenants_live_sandboxes_with_their_isolation_level()
    {
        SignInAsOperator();
        Api.Sandboxes.Add(new TenantSandboxView("t_alpha", "sbx_a", "gvisor", "python", "running", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1)));
        Api.Sandboxes.Add(new TenantSandboxView("t_beta", "sbx_b", "bubblewrap", "default", "paused", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1)));

        var page = Page<OperatorSandboxes>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("table[data-testid=all-sandboxes] tbody tr").Count));
        var a = page.Find("tr[data-sandbox-id=sbx_a]").TextContent;
        Assert.Contains("t_alpha", a, StringComparison.Ordinal);
        Assert.Contains("gvisor", a, StringComparison.Ordinal);
        Assert.Contains("bubblewrap", page.Find("tr[data-sandbox-id=sbx_b]").TextContent, StringComparison.Ordinal);
        Assert.Contains("all-sandboxes", Api.Calls);
    }

    [Fact]
    public void A_tenant_sees_its_collections_with_point_counts()
    {
        SignInAsTenant("t_mine");
        Api.Collections.Add(new CollectionView("notes", 384, "shared_collection", 42));

        var page = Page<TenantMemory>(p => p.Add(d => d.TenantId, "t_mine"));

        page.WaitForAssertion(() => Assert.Contains("42", page.Find("tr[data-collection=notes]").TextContent, StringComparison.Ordinal));
        Assert.Equal(["own-collections"], Api.Calls);
    }

    [Fact]
    public void A_tenant_sees_its_credentials_by_name_with_no_field_that_could_hold_a_value()
    {
        SignInAsTenant("t_mine");
        Api.Credentials.Add(new CredentialView("github", DateTimeOffset.UnixEpoch));

        var page = Page<TenantCredentials>(p => p.Add(d => d.TenantId, "t_mine"));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("tr[data-integration=github]")));
        Assert.Empty(page.FindAll("input"));
        Assert.Equal(["own-credentials"], Api.Calls);
    }

    [Fact]
    public void A_refusal_from_the_api_is_shown_as_its_problem_not_as_an_empty_list()
    {
        SignInAsTenant("t_mine");
        Api.CredentialsRefusal = "Listing credentials needs the 'credentials:write' capability.";

        var page = Page<TenantCredentials>(p => p.Add(d => d.TenantId, "t_mine"));

        page.WaitForAssertion(() => Assert.Contains("credentials:write", page.Find("[data-testid=problem]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("No credentials stored", page.Markup, StringComparison.Ordinal);
    }
}

public sealed class ChartTests : ConsoleTestContext
{
    [Fact]
    public void A_chart_draws_one_bar_per_point_with_heights_in_proportion_and_titles_that_name_the_values()
    {
        var series = new ChartSeries("Tokens per day", "tokens", [new("Nov 1", 100), new("Nov 2", 0), new("Nov 3", 50)]);

        var chart = Page<BarChart>(p => p.Add(c => c.Series, series));

        var bars = chart.FindAll("g.bar");
        Assert.Equal(["Nov 1", "Nov 2", "Nov 3"], bars.Select(b => b.GetAttribute("data-label")));
        Assert.Equal(["100", "0", "50"], bars.Select(b => b.GetAttribute("data-value")));
        var heights = bars.Select(b => double.Parse(b.QuerySelector("rect")!.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(heights[0] / 2, heights[2], 2);
        Assert.Equal(0, heights[1]);
        Assert.Equal("Nov 1: 100", bars[0].QuerySelector("title")!.TextContent);
        Assert.Empty(chart.FindAll(".empty"));
    }

    [Fact]
    public void A_series_without_usage_says_so_instead_of_drawing_bars()
    {
        var chart = Page<BarChart>(p => p.Add(c => c.Series, new ChartSeries("Cost per day", "USD", [new("Nov 1", 0)])));

        Assert.Contains("No usage in this period.", chart.Find(".empty").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_usage_view_charts_the_tenants_tokens_cost_and_sandbox_seconds_per_day_and_per_model()
    {
        SignInAsTenant("t_mine");
        Api.Usage.Add(new UsageRowView("t_mine", "inference", "sim-small", null, 3, 100, 20, 120, 0, 0.5m));
        Api.Usage.Add(new UsageRowView("t_mine", "sandbox", "process", null, 1, 0, 0, 0, 42, 0.1m));

        var view = Page<UsageView>(p => p.Add(v => v.TenantId, "t_mine").Add(v => v.AsOperator, false));

        view.WaitForAssertion(() => Assert.Equal(6, view.FindAll("figure[data-testid=chart]").Count));
        var titles = view.FindAll("figure[data-testid=chart]").Select(f => f.GetAttribute("data-title")).ToList();
        Assert.Equal(["Tokens per day", "Cost per day", "Sandbox-seconds per day", "Tokens per model", "Cost per model", "Sandbox-seconds per level"], titles);
        // The fake answers every day window the same: seven days of 120 tokens.
        var tokensPerDay = view.FindAll("figure[data-title='Tokens per day'] g.bar").Select(b => b.GetAttribute("data-value")).ToList();
        Assert.Equal(Enumerable.Repeat("120", UsageCharts.Days), tokensPerDay);
        var perModel = view.FindAll("figure[data-title='Tokens per model'] g.bar").ToDictionary(b => b.GetAttribute("data-label")!, b => b.GetAttribute("data-value"));
        Assert.Equal("840", perModel["sim-small"]);
        Assert.Equal(UsageCharts.Days, Api.Calls.Count(c => c == "own-usage"));
        Assert.DoesNotContain("chargeback", Api.Calls);
    }
}
