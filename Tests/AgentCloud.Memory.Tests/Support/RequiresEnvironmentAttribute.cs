using Xunit.Abstractions;
using Xunit.Sdk;

namespace AgentCloud.Memory.Tests.Support;

/// <summary>On a test class: its <see cref="BackendFactAttribute"/> tests are skipped, saying why, unless the variable is set.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresEnvironmentAttribute(string variable, string skipReason) : Attribute
{
    public string Variable { get; } = variable;
    public string SkipReason { get; } = skipReason;
}

/// <summary>A fact that runs against the backend of the concrete test class, or is reported skipped when that backend is not configured.</summary>
[XunitTestCaseDiscoverer("AgentCloud.Memory.Tests.Support.BackendFactDiscoverer", "AgentCloud.Memory.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BackendFactAttribute : FactAttribute;

public sealed class BackendFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new BackendTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}

/// <summary>A test case that is skipped, with the class's reason, when its class requires an environment variable that is not set.</summary>
public sealed class BackendTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public BackendTestCase()
    {
    }

    public BackendTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnostics, display, displayOptions, testMethod)
    {
    }

    protected override string? GetSkipReason(IAttributeInfo factAttribute)
    {
        var requirement = TestMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresEnvironmentAttribute)).FirstOrDefault();
        if (requirement is not null)
        {
            var args = requirement.GetConstructorArguments().Cast<string>().ToArray();
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(args[0])))
            {
                return args[1];
            }
        }
        return base.GetSkipReason(factAttribute);
    }
}
