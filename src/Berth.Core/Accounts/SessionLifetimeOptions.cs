namespace Berth.Core.Accounts;

/// <summary>The <c>Berth:Sessions</c> section: how long a browser sign-in lasts.</summary>
public sealed class SessionLifetimeOptions
{
    public const string Section = "Berth:Sessions";

    /// <summary>A session unused for this long ends; every request starts the span again.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A session ends this long after sign-in, however busy it is.</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);
}
