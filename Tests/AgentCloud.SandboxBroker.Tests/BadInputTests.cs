using System.Net.Http.Json;
using System.Text;

namespace AgentCloud.SandboxBroker.Tests;

[Collection(BrokerCollection.Name)]
public sealed class BadInputTests(BrokerFixture fixture)
{
    private BrokerFactory Broker => fixture.Broker;

    public static TheoryData<string> BadExecBodies => new()
    {
        """{"command": []}""",
        """{"command": [""]}""",
        """{}""",
        """{"command": "ls"}""",
        """{"command": ["ls"], "timeoutSeconds": 0}""",
        """{"command": ["ls"], "timeoutSeconds": -5}""",
        """{"command": ["ls"], "timeoutSeconds": 999999999}""",
        """{"command": ["ls"], "timeoutSeconds": 1e30}""",
        """{"command": ["ls"], "timeoutSeconds": "soon"}""",
        """{"command": ["ls"], "env": {"BAD NAME": "x"}}""",
        """{"command": ["ls"], "env": {"1X": "x"}}""",
        """{"command": ["ls", null]}""",
        "{\"command\": [\"ls\"",
        """not json at all""",
    };

    [Theory]
    [MemberData(nameof(BadExecBodies))]
    public async Task Bad_exec_input_is_400_problem_json(string body)
    {
        var client = Broker.ClientFor("bad-exec-" + Guid.NewGuid().ToString("N")[..8]);
        var sandbox = await client.CreateSandboxAsync();

        using var response = await client.PostAsync($"/v1/sandboxes/{sandbox.Id}/exec", new StringContent(body, Encoding.UTF8, "application/json"));

        await BrokerCalls.AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task One_megabyte_argument_list_is_400_problem_json()
    {
        var client = Broker.ClientFor("bad-args");
        var sandbox = await client.CreateSandboxAsync();
        var args = new[] { "echo" }.Concat(Enumerable.Repeat(new string('x', 1023), 1024)).ToArray();

        using var response = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = args });

        await BrokerCalls.AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task One_argument_or_variable_over_128_kib_is_400_problem_json_not_a_failed_exec()
    {
        Broker.Policies.Set(FakePolicies.Default("bad-long-arg") with { SandboxIsolationLevels = ["bubblewrap"] });
        var client = Broker.ClientFor("bad-long-arg");
        var sandbox = await client.CreateSandboxAsync();
        var huge = new string('x', 130 * 1024);

        using var argument = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "echo", huge } });
        using var variable = await client.PostAsJsonAsync($"/v1/sandboxes/{sandbox.Id}/exec", new { command = new[] { "true" }, env = new { BIG = huge } });
        var nearLimit = await client.ExecAsync(sandbox.Id, ["sh", "-c", "echo ${#1}", "x", new string('y', 120 * 1024)]);

        await BrokerCalls.AssertProblemAsync(argument, 400);
        await BrokerCalls.AssertProblemAsync(variable, 400);
        Assert.Equal($"{120 * 1024}\n", nearLimit.Stdout);
    }

    [Fact]
    public async Task A_300_character_file_name_is_400_problem_json()
    {
        var client = Broker.ClientFor("bad-long-name");
        var sandbox = await client.CreateSandboxAsync();
        var name = "dir/" + new string('n', 300);

        using var put = await client.PutAsync($"/v1/sandboxes/{sandbox.Id}/files/{name}", new ByteArrayContent([1]));
        using var get = await client.GetAsync($"/v1/sandboxes/{sandbox.Id}/files/{name}");

        await BrokerCalls.AssertProblemAsync(put, 400);
        await BrokerCalls.AssertProblemAsync(get, 400);
    }

    public static TheoryData<string> BadCreateBodies => new()
    {
        """{"template": "no-such-template"}""",
        """{"timeoutSeconds": 0}""",
        """{"timeoutSeconds": 100000000}""",
        """{"timeoutSeconds": -1}""",
        """{"isolation": "chroot"}""",
        """{"template": 42}""",
        """{"template": """,
    };

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task Bad_create_input_is_400_problem_json(string body)
    {
        var tenant = "bad-create-" + Guid.NewGuid().ToString("N")[..8];
        var client = Broker.ClientFor(tenant);

        using var response = await client.PostAsync("/v1/sandboxes", new StringContent(body, Encoding.UTF8, "application/json"));

        await BrokerCalls.AssertProblemAsync(response, 400);
        Assert.Empty(Broker.Manager.List(tenant));
    }

    [Fact]
    public async Task Create_without_a_body_uses_the_defaults()
    {
        var client = Broker.ClientFor("bad-nobody");

        using var response = await client.PostAsync("/v1/sandboxes", null);

        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Calls_without_a_tenant_context_are_401()
    {
        using var anonymous = Broker.CreateClient();

        using var response = await anonymous.PostAsJsonAsync("/v1/sandboxes", new { });

        await BrokerCalls.AssertProblemAsync(response, 401);
    }
}
