using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCloud.Console.Tests;

/// <summary>
/// The real console app signing in against a stand-in Gateway that refuses every key and counts how often it is asked:
/// a client over the console's per-client limit is refused before the Gateway is asked, another client is still served,
/// and a caller that is not the Gateway cannot pick the address it is counted under.
/// </summary>
public sealed partial class SignInLimitEndToEndTests : IAsyncLifetime
{
    private const string PeerHeader = "x-test-peer";
    private WebApplication _gateway = null!;
    private WebApplicationFactory<Program> _console = null!;
    private int _gatewayCalls;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _gateway = builder.Build();
        _gateway.Run(async http =>
        {
            Interlocked.Increment(ref _gatewayCalls);
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.ContentType = "application/problem+json";
            await http.Response.WriteAsync("""{"type":"https://agentcloud.dev/problems/unauthorized","title":"Unauthorized","status":401,"detail":"unknown key"}""");
        });
        await _gateway.StartAsync();
        _console = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Console:GatewayUrl", _gateway.Urls.First());
            b.UseSetting("Console:SignInFailureLimit", "3");
            b.ConfigureServices(s => s.AddSingleton<IStartupFilter, PeerFromHeader>());
        });
    }

    public async Task DisposeAsync()
    {
        await _console.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_client_over_its_limit_is_refused_before_the_gateway_is_asked_while_another_client_still_signs_in()
    {
        var browser = await SignInPageAsync();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("198.51.100.1", "loopback")).StatusCode);
        }
        var refused = await browser.PostAsync("198.51.100.1", "loopback");
        var callsBefore = _gatewayCalls;
        var other = await browser.PostAsync("198.51.100.2", "loopback");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Contains("Too many refused sign-ins", await refused.Content.ReadAsStringAsync());
        Assert.Equal(3, callsBefore);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal(4, _gatewayCalls);
    }

    [Fact]
    public async Task A_caller_that_is_not_the_gateway_cannot_escape_its_count_by_claiming_other_addresses()
    {
        var browser = await SignInPageAsync();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"203.0.113.{i + 1}", "192.0.2.50")).StatusCode);
        }
        var refused = await browser.PostAsync("203.0.113.99", "192.0.2.50");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(3, _gatewayCalls);
    }

    private async Task<Browser> SignInPageAsync()
    {
        var client = _console.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var html = await client.GetStringAsync("/console/signin");
        var fields = HiddenInput().Matches(html).Select(m => m.Value)
            .ToDictionary(i => WebUtility.HtmlDecode(Attribute(i, "name")), i => WebUtility.HtmlDecode(Attribute(i, "value")));
        Assert.True(fields.ContainsKey("__RequestVerificationToken"), html);
        return new Browser(client, fields);
    }

    private sealed record Browser(HttpClient Client, Dictionary<string, string> Hidden)
    {
        public Task<HttpResponseMessage> PostAsync(string forwardedFor, string peer)
        {
            var form = new Dictionary<string, string>(Hidden) { ["Input.Key"] = "ac_notakey000000_" + Guid.NewGuid().ToString("N") };
            var request = new HttpRequestMessage(HttpMethod.Post, "/console/signin") { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            request.Headers.Add(PeerHeader, peer);
            return Client.SendAsync(request);
        }
    }

    private static string Attribute(string input, string name) => Regex.Match(input, "\\b" + name + "=\"([^\"]*)\"").Groups[1].Value;

    [GeneratedRegex("""<input[^>]*type="hidden"[^>]*>""")]
    private static partial Regex HiddenInput();

    /// <summary>The test server has no socket: this sets the peer address a real connection would have, before anything else runs.</summary>
    private sealed class PeerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextStep) =>
            {
                var peer = http.Request.Headers[PeerHeader].ToString();
                http.Connection.RemoteIpAddress = peer is "" or "loopback" ? IPAddress.Loopback : IPAddress.Parse(peer);
                return nextStep(http);
            });
            next(app);
        };
    }
}
