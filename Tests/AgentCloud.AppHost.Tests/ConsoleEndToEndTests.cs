using System.Net;
using System.Net.Http.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The console in a real headless Chromium, through the Gateway of the running platform, as its users would use it:
/// the operator makes a tenant and a key and sees that key's chat in the usage chart; a tenant sees only its own tenant
/// and is refused another's and the operator's pages; a bad key is an error on the page; the session cookie is HttpOnly
/// and SameSite=Strict and the key is nowhere in the page or its URL. Each test leaves a screenshot.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ConsoleEndToEndTests(PlatformFixture platform, HeadlessChromium browser) : IClassFixture<HeadlessChromium>, IAsyncLifetime
{
    private static readonly TimeSpan UsageWait = TimeSpan.FromSeconds(90);

    private string Console => $"http://127.0.0.1:{platform.Args.GatewayPort}/console";

    private IWebDriver Driver => browser.Driver;

    public async Task InitializeAsync()
    {
        using var ready = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await platform.App.ResourceNotifications.WaitForResourceHealthyAsync("console", ready.Token);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_operator_creates_a_tenant_and_a_key_and_the_usage_chart_shows_that_keys_chat()
    {
        SignIn(AppHostArgs.AdminKey);
        Assert.EndsWith("/console/tenants", Driver.Url, StringComparison.Ordinal);
        AssertSessionCookieAndNoKeyIn(AppHostArgs.AdminKey);

        var name = $"console-{Guid.NewGuid():N}"[..20];
        Driver.FindElement(By.CssSelector("[data-testid=tenant-name]")).SendKeys(name);
        Driver.FindElement(By.CssSelector("[data-testid=tenant-tier] option[value=pro]")).Click();
        Driver.FindElement(By.CssSelector("[data-testid=create-tenant]")).Click();
        Wait().Until(d => d.Url.Contains("/console/tenants/", StringComparison.Ordinal) && d.FindElements(By.CssSelector("[data-testid=create-key-form]")).Count > 0);
        var tenantId = Driver.Url[(Driver.Url.LastIndexOf('/') + 1)..];
        Assert.Contains(name, Driver.FindElement(By.TagName("h1")).Text, StringComparison.Ordinal);

        Driver.FindElement(By.CssSelector("[data-testid=key-name]")).SendKeys("chat-key");
        Driver.FindElement(By.CssSelector("[data-testid=create-key]")).Click();
        var key = Wait().Until(d => d.FindElements(By.CssSelector("[data-testid=created-key-secret]")).FirstOrDefault()?.Text);
        Assert.StartsWith("ac_", key, StringComparison.Ordinal);
        Assert.Single(Driver.FindElements(By.CssSelector("table[data-testid=keys] tbody tr")));

        using (var client = platform.Gateway().As(key))
        {
            var chat = await PlatformTenants.PatientlyAsync(() => client.PostAsJsonAsync("/v1/chat/completions",
                new { model = "sim-small", max_tokens = 8, messages = new[] { new { role = "user", content = "hello from the console test" } } }));
            Assert.True(chat.IsSuccessStatusCode, await chat.Content.ReadAsStringAsync());
        }

        // Usage is aggregated asynchronously: reload the page until the per-model chart has the chat, for a bounded time.
        var deadline = DateTime.UtcNow + UsageWait;
        IWebElement? bar = null;
        while (bar is null && DateTime.UtcNow < deadline)
        {
            Driver.Navigate().GoToUrl($"{Console}/usage?tenant={tenantId}");
            Wait().Until(d => d.FindElements(By.CssSelector("[data-testid=per-model]")).Count > 0 || d.FindElements(By.CssSelector("[data-testid=problem]")).Count > 0);
            bar = Driver.FindElements(By.CssSelector("figure[data-title='Tokens per model'] g.bar"))
                .FirstOrDefault(b => b.GetAttribute("data-label") == "sim-small" && decimal.Parse(b.GetAttribute("data-value") ?? "0", System.Globalization.CultureInfo.InvariantCulture) > 0);
            if (bar is null)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
        browser.Screenshot("operator-usage");
        Assert.True(bar is not null, "the chat never showed in the usage chart within " + UsageWait);
        Assert.Contains(Driver.FindElements(By.CssSelector("figure[data-title='Tokens per day'] g.bar")), b => b.GetAttribute("data-value") != "0");
        Assert.NotEmpty(Driver.FindElements(By.CssSelector("[data-testid=reconciliation]")));
        AssertSessionCookieAndNoKeyIn(AppHostArgs.AdminKey);
        Assert.DoesNotContain(key, Driver.PageSource, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_tenant_and_is_refused_another_tenants_pages_and_the_operators()
    {
        var caps = new { name = "console", capabilities = new[] { "inference", "usage:read", "sandbox", "keys:admin" } };
        var (mine, myKey) = await platform.NewTenantAsync("pro", "mine", caps);
        var (other, _) = await platform.NewTenantAsync("pro", "other", caps);

        SignIn(myKey);
        Assert.EndsWith($"/console/t/{mine}", Driver.Url, StringComparison.Ordinal);
        Assert.Contains(mine, Driver.FindElement(By.TagName("h1")).Text, StringComparison.Ordinal);
        AssertSessionCookieAndNoKeyIn(myKey);

        Driver.Navigate().GoToUrl($"{Console}/t/{mine}/keys");
        var rows = Wait().Until(d => d.FindElements(By.CssSelector("table[data-testid=keys] tbody tr")).ToList() is { Count: > 0 } r ? r : null);
        Assert.Single(rows);
        browser.Screenshot("tenant-keys");
        Assert.DoesNotContain(other, Driver.PageSource, StringComparison.Ordinal);
        AssertSessionCookieAndNoKeyIn(myKey);

        foreach (var path in new[] { $"t/{other}", $"t/{other}/keys", $"t/{other}/sandboxes" })
        {
            Driver.Navigate().GoToUrl($"{Console}/{path}");
            Assert.Contains("Not found", RefusalText(), StringComparison.Ordinal);
        }
        browser.Screenshot("tenant-other-tenant-refused");
        foreach (var path in new[] { "tenants", $"tenants/{other}", "usage", "audit" })
        {
            Driver.Navigate().GoToUrl($"{Console}/{path}");
            Assert.Contains("Forbidden", RefusalText(), StringComparison.Ordinal);
            Assert.DoesNotContain(other, Driver.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        }
        browser.Screenshot("tenant-operator-page-refused");
    }

    [Fact]
    public async Task A_tenant_sees_its_collection_and_credential_by_name_and_the_operator_sees_its_live_sandbox_with_its_level()
    {
        const string secret = "ghp_console_never_shows_this_0123456789";
        var caps = new { name = "console", capabilities = new[] { "usage:read", "sandbox", "memory:read", "memory:write", "credentials:write" } };
        var (mine, myKey) = await platform.NewTenantAsync("pro", "views", caps);
        string sandboxId, isolation;
        using (var api = platform.Gateway().As(myKey))
        {
            var put = await PlatformTenants.PatientlyAsync(() => api.PutAsJsonAsync("/v1/memory/notes/points",
                new { points = new[] { new { id = 1, vector = new[] { 0.1, 0.2, 0.3 } }, new { id = 2, vector = new[] { 0.3, 0.2, 0.1 } } } }));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            var credential = await PlatformTenants.PatientlyAsync(() => api.PutAsJsonAsync("/v1/credentials/github", new { secret }));
            Assert.Equal(HttpStatusCode.NoContent, credential.StatusCode);
            var created = await PlatformTenants.PatientlyAsync(() => api.PostAsJsonAsync("/v1/sandboxes", new { }));
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var sandbox = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            (sandboxId, isolation) = (sandbox.GetProperty("id").GetString()!, sandbox.GetProperty("isolation").GetString()!);
        }
        try
        {
            SignIn(myKey);
            Driver.Navigate().GoToUrl($"{Console}/t/{mine}/memory");
            var collection = Wait().Until(d => d.FindElements(By.CssSelector("tr[data-collection=notes]")).FirstOrDefault());
            Assert.Contains("2", collection!.Text, StringComparison.Ordinal);
            browser.Screenshot("tenant-memory");

            Driver.Navigate().GoToUrl($"{Console}/t/{mine}/credentials");
            Assert.NotNull(Wait().Until(d => d.FindElements(By.CssSelector("tr[data-integration=github]")).FirstOrDefault()));
            Assert.DoesNotContain(secret, Driver.PageSource, StringComparison.Ordinal);
            Assert.DoesNotContain("never_shows", Driver.PageSource, StringComparison.Ordinal);
            browser.Screenshot("tenant-credentials");

            Driver.Navigate().GoToUrl($"{Console}/sandboxes");
            Assert.Contains("Forbidden", RefusalText(), StringComparison.Ordinal);

            SignIn(AppHostArgs.AdminKey);
            Driver.Navigate().GoToUrl($"{Console}/sandboxes?tenant={mine}");
            var row = Wait().Until(d => d.FindElements(By.CssSelector($"tr[data-sandbox-id='{sandboxId}']")).FirstOrDefault());
            browser.Screenshot("operator-sandboxes");
            Assert.Contains(mine, row!.Text, StringComparison.Ordinal);
            Assert.Contains(isolation, row.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, Driver.PageSource, StringComparison.Ordinal);
        }
        finally
        {
            using var api = platform.Gateway().As(myKey);
            await api.DeleteAsync($"/v1/sandboxes/{sandboxId}");
        }
    }

    [Fact]
    public async Task A_bad_key_is_an_error_on_the_sign_in_page_and_is_not_echoed_and_a_forged_post_is_refused()
    {
        var badTenantKey = "ac_zzzzzzzzzzzz_" + new string('q', 40);
        SignIn(badTenantKey);
        var problem = Wait().Until(d => d.FindElement(By.CssSelector("[data-testid=problem]")));
        Assert.Contains("refused", problem.Text, StringComparison.Ordinal);
        Assert.Contains("/console/signin", Driver.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(badTenantKey, Driver.PageSource, StringComparison.Ordinal);
        Assert.Null(Driver.Manage().Cookies.GetCookieNamed("agentcloud-console"));
        browser.Screenshot("bad-key");

        SignIn("not-the-operator-key-0123456789");
        Assert.Contains("not the operator key", Wait().Until(d => d.FindElement(By.CssSelector("[data-testid=problem]"))).Text, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-operator-key-0123456789", Driver.PageSource, StringComparison.Ordinal);

        // A cross-site form post carries no anti-forgery token: refused, never a 500.
        using var http = platform.Gateway();
        var forged = await http.PostAsync("/console/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["Input.Key"] = AppHostArgs.AdminKey,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Empty(forged.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.Where(c => c.StartsWith("agentcloud-console=", StringComparison.Ordinal)) : []);
    }

    private void SignIn(string key)
    {
        Driver.Navigate().GoToUrl($"{Console}/signin");
        Driver.Manage().Cookies.DeleteAllCookies();
        Driver.Navigate().GoToUrl($"{Console}/");
        Until(d => d.Url.Contains("/console/signin", StringComparison.Ordinal), "the console sends an anonymous visitor to sign in");
        Driver.FindElement(By.CssSelector("[data-testid=key]")).SendKeys(key);
        Driver.FindElement(By.CssSelector("[data-testid=signin]")).Click();
        Until(d => !d.Url.Contains("/console/signin", StringComparison.Ordinal) || d.FindElements(By.CssSelector("[data-testid=problem]")).Count > 0,
            "the console signs in or says why not");
    }

    private void AssertSessionCookieAndNoKeyIn(string key)
    {
        var cookie = Driver.Manage().Cookies.GetCookieNamed("agentcloud-console");
        Assert.NotNull(cookie);
        Assert.True(cookie.IsHttpOnly);
        Assert.Equal("Strict", cookie.SameSite);
        Assert.DoesNotContain(key, cookie.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(key, Driver.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(key, Driver.PageSource, StringComparison.Ordinal);
        var storage = ((IJavaScriptExecutor)Driver).ExecuteScript("return JSON.stringify(window.localStorage) + JSON.stringify(window.sessionStorage);") as string;
        Assert.DoesNotContain(key, storage ?? "", StringComparison.Ordinal);
    }

    private WebDriverWait Wait() => new(Driver, TimeSpan.FromSeconds(30));

    private string RefusalText()
    {
        Until(d => d.FindElements(By.CssSelector("[data-testid=refusal]")).Count > 0, "the console refuses the page");
        return Driver.FindElement(By.CssSelector("[data-testid=refusal]")).Text;
    }

    /// <summary>Waits for a condition; on timeout says where the browser is and what it shows.</summary>
    private void Until(Func<IWebDriver, bool> condition, string what)
    {
        try
        {
            Wait().Until(condition);
        }
        catch (WebDriverTimeoutException)
        {
            browser.Screenshot("timeout-" + Guid.NewGuid().ToString("N")[..6]);
            var text = Driver.FindElements(By.TagName("body")).FirstOrDefault()?.Text ?? Driver.PageSource;
            Assert.Fail($"Timed out waiting until {what}: at {Driver.Url}, showing: {text[..Math.Min(600, text.Length)]}");
        }
    }
}
