// Sandboxes are Linux namespaces; so is this benchmark.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
