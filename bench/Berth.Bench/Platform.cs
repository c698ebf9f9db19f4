// The bench drives Linux tools (wrk, kill, /proc/loadavg) and a local Docker engine.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
