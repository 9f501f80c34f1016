using System.Text.Json.Nodes;
using AgentCloud.Cli;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// The README's demo, run by the CLI against the platform started in the testing builder: three tenants' agents in
/// sandboxes side by side, a noisy free tenant, and the usage ledger checked against what each agent did.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DemoWorkloadTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_demo_completes_and_each_tenants_usage_equals_what_its_agent_did()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new Dictionary<string, string>
        {
            ["AGENTCLOUD_URL"] = $"http://127.0.0.1:{platform.Args.GatewayPort}",
            ["AGENTCLOUD_KEY"] = AppHostArgs.AdminKey,
            ["AGENTCLOUD_PROFILE_FILE"] = "/nonexistent/profiles.json",
        };

        var exit = await CliApp.RunAsync(["demo", "--chats", "4", "--noisy", "150", "--json", "--tool-server", $"http://127.0.0.1:{platform.Args.SampleToolsPort}/mcp"],
            stdout, stderr, env: name => env.GetValueOrDefault(name));

        Assert.True(exit == 0, $"demo exited {exit}: {stderr}");
        var results = JsonNode.Parse(stdout.ToString())!.AsArray();
        Assert.Equal(["free", "pro", "enterprise"], results.Select(r => r!["tier"]!.GetValue<string>()));
        foreach (var r in results)
        {
            var tier = r!["tier"]!.GetValue<string>();
            Assert.True(r["errors"]!.GetValue<int>() == 0, $"the {tier} agent saw errors: {r["lastError"]}");
            Assert.True(r["fileRoundTrip"]!.GetValue<bool>(), $"the {tier} agent's file round trip failed");
            Assert.NotEqual("none", r["isolation"]!.GetValue<string>());
            if (tier != "free")
            {
                // Pro and enterprise list gvisor first: they get it wherever this host's runsc can start a sandbox.
                Assert.Equal(RunscRunsHere() ? "gvisor" : "bubblewrap", r["isolation"]!.GetValue<string>());
            }
            if (tier == "free")
            {
                // The noisy neighbour was held to its own limit (its own agent shares that limit, so it may be refused too)...
                Assert.True(r["noisyRateLimited"]!.GetValue<int>() > 0, "the free tenant's flood was never limited");
            }
            else
            {
                // ...and nobody else was limited for it.
                Assert.Equal(0, r["rateLimited"]!.GetValue<int>());
                Assert.Equal(4, r["chats"]!.GetValue<int>());
                Assert.Equal("n1", r["memoryTopHit"]?.GetValue<string>());
                // The agent's run key lists exactly the one tool it was granted; every tool call the model asked for succeeded.
                Assert.Null(r["toolsSkipped"]?.GetValue<string>());
                Assert.Equal(1, r["toolsListed"]!.GetValue<int>());
                Assert.Equal(0, r["toolErrors"]!.GetValue<int>());
                Assert.True(r["toolCalls"]!.GetValue<int>() >= 1, $"the {tier} agent made {r["toolCalls"]} tool calls; its model loop must call the tool");
            }
            // Every model call the agent made (its chats and its tool loop) is in the ledger, and nothing else.
            await AssertLedgerMatchesAsync(r["tenantId"]!.GetValue<string>(), r["modelCalls"]!.GetValue<int>(),
                r["promptTokens"]!.GetValue<long>(), r["completionTokens"]!.GetValue<long>());
        }
    }

    /// <summary>The UsageAggregator's rollups for the tenant's chat calls equal the agent's own count, once the stream is drained.</summary>
    private async Task AssertLedgerMatchesAsync(string tenantId, int chats, long prompt, long completion)
    {
        using var admin = platform.Operator();
        (long Events, long Input, long Output) seen = default;
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var usage = JsonNode.Parse(await admin.GetStringAsync($"/admin/v1/usage?tenantId={tenantId}"))!;
            var chatRows = usage["data"]!.AsArray().Where(row => row!["kind"]?.GetValue<string>() == "inference").ToList();
            seen = (chatRows.Sum(x => x!["events"]!.GetValue<long>()), chatRows.Sum(x => x!["inputTokens"]!.GetValue<long>()),
                chatRows.Sum(x => x!["outputTokens"]!.GetValue<long>()));
            if (seen == (chats, prompt, completion))
            {
                return;
            }
            await Task.Delay(500);
        }
        Assert.Fail($"tenant {tenantId}: the ledger holds {seen} (events, input, output); the agent counted {(chats, prompt, completion)}");
    }

    private static bool RunscRunsHere()
    {
        try
        {
            using var runsc = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("runsc", ["--rootless", "--network=none", "do", "/usr/bin/true"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            if (!runsc.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                runsc.Kill(entireProcessTree: true);
                return false;
            }
            return runsc.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
