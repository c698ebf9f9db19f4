namespace Berth.Core;

/// <summary>The <c>Berth</c> configuration section. The names are a documented contract.</summary>
public sealed class BerthOptions
{
    public const string Section = "Berth";

    /// <summary>Where the database and everything else Berth keeps live.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>When set, an admin exists at start-up that this exact personal access token authenticates.</summary>
    public string? BootstrapAdminToken { get; set; }

    /// <summary>The image of a container whose create request names none.</summary>
    public string DefaultImage { get; set; } = "berth/busybox:latest";

    /// <summary>The environment id of the one local engine.</summary>
    public string EnvironmentId { get; set; } = "local";

    /// <summary>
    /// Browser origins (e.g. <c>https://berth.example.com</c>) allowed to open WebSockets besides the
    /// server's own. Programs that send no <c>Origin</c> are not affected.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>The <c>Berth:Lifecycle</c> section: how long Berth waits for the engine, and how often it looks.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "Berth:Lifecycle";

    /// <summary>How long an operation waits for the engine to confirm the new state before the container is <c>failed</c>.</summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an operation polls the engine while it also listens to its events.</summary>
    public TimeSpan ConfirmPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>SIGTERM to SIGKILL, when the caller of stop names no grace period.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reconciler compares every record with the engine (events cover the time between).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(5);
}
