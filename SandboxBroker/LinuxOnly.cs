// Sandboxes are built from Linux namespaces, openat2 and rlimits; the broker runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
