using System.Net;
using AgentCloud.SandboxBroker.Fleet;

namespace AgentCloud.SandboxBroker.Tests;

/// <summary>What a broker bound to a wildcard tells its siblings: never loopback where a reachable address is known.</summary>
public sealed class AdvertisedAddressTests
{
    [Fact]
    public void A_wildcard_bind_in_a_pod_advertises_the_pods_ip()
    {
        Assert.Equal("http://10.1.2.3:8080", AdvertisedAddress.For("http://+:8080", "10.1.2.3", [IPAddress.Loopback], out var warning));
        Assert.Null(warning);
        Assert.Equal("http://[fd00::7]:8080", AdvertisedAddress.For("http://[::]:8080", "fd00::7", [], out _));
    }

    [Fact]
    public void A_wildcard_bind_in_a_container_without_pod_ip_advertises_the_address_its_host_name_resolves_to()
    {
        Assert.Equal("http://172.17.0.5:8080",
            AdvertisedAddress.For("http://0.0.0.0:8080", null, [IPAddress.Loopback, IPAddress.Parse("127.0.1.1"), IPAddress.Parse("172.17.0.5")], out var warning));
        Assert.Null(warning);
    }

    [Fact]
    public void A_wildcard_bind_with_nothing_better_falls_back_to_loopback_and_warns()
    {
        Assert.Equal("http://127.0.0.1:8080", AdvertisedAddress.For("http://*:8080", "", [IPAddress.Loopback], out var warning));
        Assert.Contains("SandboxBroker__Fleet__Address", warning);
    }

    [Fact]
    public void A_specific_bind_is_advertised_as_bound()
    {
        Assert.Equal("http://127.0.0.1:5123", AdvertisedAddress.For("http://127.0.0.1:5123/", "10.1.2.3", [], out var warning));
        Assert.Null(warning);
    }
}
