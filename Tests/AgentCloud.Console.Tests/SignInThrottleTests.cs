using AgentCloud.Console.Auth;
using AgentCloud.Console.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentCloud.Console.Tests;

public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests() =>
        _throttle = new SignInThrottle(Options.Create(new ConsoleOptions { SignInFailureLimit = 3, SignInFailureWindow = TimeSpan.FromMinutes(1) }), _time);

    [Fact]
    public void An_address_is_refused_after_its_limit_of_failures_and_only_that_address()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(_throttle.RetryAfter("198.51.100.1"));
            _throttle.Failed("198.51.100.1");
        }

        Assert.Equal(TimeSpan.FromMinutes(1), _throttle.RetryAfter("198.51.100.1"));
        Assert.Null(_throttle.RetryAfter("198.51.100.2"));
    }

    [Fact]
    public void The_refusal_ends_with_its_window_and_the_count_starts_again()
    {
        for (var i = 0; i < 3; i++)
        {
            _throttle.Failed("198.51.100.1");
        }
        _time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(15), _throttle.RetryAfter("198.51.100.1"));

        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Null(_throttle.RetryAfter("198.51.100.1"));
        _throttle.Failed("198.51.100.1");
        Assert.Null(_throttle.RetryAfter("198.51.100.1"));
    }

    [Fact]
    public void The_default_limit_is_below_the_gateways_so_one_client_is_stopped_here_first()
    {
        // The Gateway's default: 20 refused calls per address per 10 s (GatewayOptions.FailedCallLimit/FailedCallWindow).
        var options = new ConsoleOptions();

        Assert.True(options.SignInFailureLimit < 20);
        Assert.True(options.SignInFailureWindow >= TimeSpan.FromSeconds(10));
    }
}
