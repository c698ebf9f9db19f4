using System.Text.Json;

namespace Berth.Bench;

/// <summary>
/// GET one container, authenticated four ways: personal access token, Berth JWT, OAuth access token
/// (client credentials) and browser session cookie. The methods take turns, round after round, so that
/// a loaded machine's drift falls on all of them alike; each figure is the median of its rounds.
/// </summary>
internal sealed partial class BenchRun
{
    private static IEnumerable<string> AuthFigures =>
        AuthMethods.SelectMany(m => new[] { $"GET one container by {m}: requests/s", $"GET one container by {m}: p99 latency" });

    private static readonly string[] AuthMethods = ["PAT", "JWT", "OAuth", "session"];

    private async Task AuthAsync(bool referenceOnly, CancellationToken cancellationToken)
    {
        if (referenceOnly)
        {
            _results.Unmeasured(AuthFigures, Verdict.Skip, "reference only: the figures compare Berth with itself");
            return;
        }
        var url = new Uri(_api!.BaseAddress, $"/api/v1/containers/{_containerId}");
        var credentials = await AuthCredentialsAsync(cancellationToken);
        var scripts = credentials.ToDictionary(
            c => c.Method, c => Wrk.WriteHeaderScript(_workDirectory, c.Method, c.Header, c.Value), StringComparer.Ordinal);

        foreach (var (method, script) in scripts)
        {
            Log.Info($"wrk auth {method}: {_options.WrkWarmupSeconds} s warm-up");
            await Wrk.MeasureAsync(_options.Wrk, script, url, _options.WrkThreads, _options.WrkConnections, _options.WrkWarmupSeconds, cancellationToken);
        }
        var rounds = AuthMethods.ToDictionary(m => m, _ => new List<WrkResult>(), StringComparer.Ordinal);
        for (var round = 0; round < _options.AuthRounds; round++)
        {
            foreach (var method in AuthMethods)
            {
                var result = await Wrk.MeasureAsync(
                    _options.Wrk, scripts[method], url, _options.WrkThreads, _options.WrkConnections, _options.WrkSeconds, cancellationToken);
                Log.Info($"wrk auth {method} round {round + 1}: {Stats.Rate(result.RequestsPerSecond)}, p99 {Stats.Ms(result.P99Ms)}{(result.Errors.Length > 0 ? ", " + result.Errors : "")}");
                rounds[method].Add(result);
            }
        }

        var rates = AuthMethods.ToDictionary(m => m, m => Stats.Median(rounds[m].Select(r => r.RequestsPerSecond).ToList()), StringComparer.Ordinal);
        var p99s = AuthMethods.ToDictionary(m => m, m => Stats.Median(rounds[m].Select(r => r.P99Ms).ToList()), StringComparer.Ordinal);
        var fastest = AuthMethods.MaxBy(m => rates[m])!;
        var quickest = AuthMethods.MinBy(m => p99s[m])!;
        var conditions = $"{_options.WrkConnections} conn, median of {_options.AuthRounds} rounds of {_options.WrkSeconds} s";
        foreach (var method in AuthMethods)
        {
            var errors = string.Join("; ", rounds[method].Select(r => r.Errors).Where(e => e.Length > 0));
            var share = rates[method] / rates[fastest];
            _results.Add(new ResultRow($"GET one container by {method}: requests/s ({conditions})",
                $"{Stats.Rate(rates[method])} ({share:P0} of the fastest)",
                $"{Stats.Rate(rates[fastest])} by {fastest}",
                "≥ 85% of the fastest method",
                errors.Length > 0 ? Verdict.Error : share >= 0.85 ? Verdict.Pass : Verdict.Fail,
                errors.Length > 0 ? errors : null));
            _results.Add(new ResultRow($"GET one container by {method}: p99 latency ({conditions})",
                Stats.Ms(p99s[method]), $"{Stats.Ms(p99s[quickest])} by {quickest}", "≤ 115% of the lowest p99",
                p99s[method] <= 1.15 * p99s[quickest] ? Verdict.Pass : Verdict.Fail));
        }
    }

    /// <summary>
    /// One admin user with a password, and a credential of each kind for it, all made through the API
    /// as a user would; the PAT is the user's own too, so that only the way of authenticating differs.
    /// </summary>
    private async Task<IReadOnlyList<(string Method, string Header, string Value)>> AuthCredentialsAsync(CancellationToken cancellationToken)
    {
        var api = _api!;
        var email = $"bench-auth-{_options.RunId}@bench.example";
        var password = $"bench-{Guid.NewGuid():N}";
        var user = await api.PostDataAsync("/api/v1/users",
            new Dictionary<string, object> { ["email"] = email, ["name"] = "Bench auth", ["role"] = "admin", ["password"] = password },
            cancellationToken);
        var userId = user.GetProperty("id").GetString()!;

        var pat = await api.PostDataAsync($"/api/v1/users/{userId}/tokens",
            new Dictionary<string, object> { ["name"] = "bench-auth", ["scopes"] = new[] { "read", "admin" } }, cancellationToken);

        var credentials = new Dictionary<string, object> { ["email"] = email, ["password"] = password };
        var (jwt, _) = await api.PostAnonymousAsync("/api/v1/auth/token", Json(credentials), cancellationToken);

        var (_, cookies) = await api.PostAnonymousAsync("/api/v1/auth/login", Json(credentials), cancellationToken);
        var session = cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("berth_session=", StringComparison.Ordinal))
            ?? throw new BenchException("POST /api/v1/auth/login set no berth_session cookie.");

        var application = await api.PostDataAsync("/api/v1/oauth/applications", new Dictionary<string, object>
        {
            ["name"] = "bench-auth",
            ["type"] = "confidential",
            ["grant_types"] = new[] { "client_credentials" },
            ["scopes"] = new[] { "read", "admin" },
            ["user_id"] = userId,
        }, cancellationToken);
        var (oauth, _) = await api.PostAnonymousAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = application.GetProperty("client_id").GetString()!,
            ["client_secret"] = application.GetProperty("client_secret").GetString()!,
            ["scope"] = "read admin",
        }), cancellationToken);

        return
        [
            ("PAT", "Authorization", $"Bearer {pat.GetProperty("token").GetString()}"),
            ("JWT", "Authorization", $"Bearer {jwt.GetProperty("data").GetProperty("access_token").GetString()}"),
            ("OAuth", "Authorization", $"Bearer {oauth.GetProperty("access_token").GetString()}"),
            ("session", "Cookie", session),
        ];

        static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
    }
}
