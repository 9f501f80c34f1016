using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace AgentCloud.Gateway.Tests;

/// <summary>Bad and oversized input gets a clean 4xx (problem+json wherever the answer comes from our code), never a 500.</summary>
public sealed class InputLimitTests(GatewayEnvironment env) : IClassFixture<GatewayEnvironment>, IDisposable
{
    private readonly GatewayFactory _gateway = env.NewGateway(new Dictionary<string, string?>
    {
        ["Gateway:Limits:UpstreamIdleTimeout"] = "00:00:01",
        ["Gateway:Limits:RequestHeadersTimeout"] = "00:00:01",
    });

    [Fact]
    public async Task A_body_declared_over_one_mebibyte_is_413_problem_and_never_forwarded()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);

        var response = await client.PutAsync("/v1/memory/too-big/points", new ByteArrayContent(new byte[1024 * 1024 + 1]));

        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "at most 1048576 bytes");
        Assert.Null(env.Upstream.LastFor("/v1/memory/too-big/points"));
    }

    [Fact]
    public async Task A_chunked_body_that_runs_past_the_limit_is_413_problem()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        var content = new StreamContent(new MemoryStream(new byte[3 * 1024 * 1024]));
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_file_upload_larger_than_the_default_limit_is_forwarded_intact()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        var body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);

        var response = await client.PutAsync("/v1/sandboxes/sb1/files/data/blob.bin", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = env.Upstream.LastFor("/v1/sandboxes/sb1/files/data/blob.bin")!;
        Assert.Equal(body.Length, seen.BodyLength);
        Assert.Equal(SHA256.HashData(body), seen.BodySha256);
    }

    [Fact]
    public async Task A_file_upload_declared_over_its_limit_is_413()
    {
        var answer = await RawHttp.SendAsync(_gateway.Address,
            "PUT /v1/sandboxes/sb1/files/huge.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer whatever-key-0123456789\r\nContent-Length: 70000000\r\n\r\n");

        Assert.Equal(413, RawHttp.StatusOf(answer));
        Assert.Contains("application/problem+json", answer);
    }

    [Fact]
    public async Task A_thousand_headers_are_refused_with_431()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        for (var i = 0; i < 1000; i++)
        {
            request.Headers.TryAddWithoutValidation($"x-filler-{i}", "v");
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task One_oversized_header_is_refused_with_431()
    {
        using var client = _gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation("x-big", new string('a', 64 * 1024));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"model\": ")]
    [InlineData("{\"messages\": [1, 2,, ]}")]
    [InlineData("null")]
    public async Task Invalid_json_without_a_key_is_401_problem(string body)
    {
        using var client = _gateway.Client();

        var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Binary_garbage_with_a_valid_key_is_passed_through_byte_for_byte_for_the_service_to_judge()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);
        var garbage = RandomNumberGenerator.GetBytes(4096);
        var content = new ByteArrayContent(garbage);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync("/v1/embeddings", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SHA256.HashData(garbage), env.Upstream.LastFor("/v1/embeddings")!.BodySha256);
    }

    [Fact]
    public async Task Binary_garbage_instead_of_an_http_request_is_400()
    {
        var answer = await RawHttp.SendAsync(_gateway.Address, RandomNumberGenerator.GetBytes(2048).Select(b => b == (byte)'\n' ? (byte)0 : b).Append((byte)'\r').Append((byte)'\n').ToArray());

        Assert.Equal(400, RawHttp.StatusOf(answer));
    }

    [Fact]
    public async Task An_authorization_header_with_non_ascii_bytes_is_a_clean_4xx()
    {
        var head = Encoding.ASCII.GetBytes("GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ac_0123456789abcdef");
        var answer = await RawHttp.SendAsync(_gateway.Address, [.. head, 0xC3, 0xA9, 0xFF, .. "\r\n\r\n"u8.ToArray()]);

        Assert.InRange(RawHttp.StatusOf(answer), 400, 499);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_gets_408()
    {
        var answer = await RawHttp.SendAsync(_gateway.Address, "GET /v1/models HTTP/1.1\r\nHost: x\r\n", TimeSpan.FromSeconds(10));

        Assert.Equal(408, RawHttp.StatusOf(answer));
    }

    [Fact]
    public async Task An_upstream_that_stays_silent_is_answered_504_problem()
    {
        var (_, key) = env.ControlPlane.AddKey("acme");
        using var client = _gateway.Client(key);

        var response = await client.GetAsync("/v1/sandboxes/slow");

        await Problem.AssertAsync(response, HttpStatusCode.GatewayTimeout, "did not answer in time");
    }

    public void Dispose() => _gateway.Dispose();
}
