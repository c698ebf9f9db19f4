using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Tests.Fakes;

namespace Berth.Core.Tests.Containers;

/// <summary>Configuration rules of deploys: pending changes, secrets round-tripping, domains, health checks and volumes.</summary>
public sealed class ContainerConfigTests : IAsyncLifetime
{
    private readonly CoreHarness _h = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    private static ContainerConfig Config(params EnvVar[] env) => new()
    {
        Image = "app:1",
        Env = env,
        Port = 8080,
        Domains = ["app.example.com"],
        Volumes = [new VolumeMount("data", "/data")],
    };

    [Fact]
    public void SameAs_EqualListsInDifferentInstances_True_AndAnyDifference_False()
    {
        var a = Config(new EnvVar("A", "1"));
        var b = Config(new EnvVar("A", "1"));

        Assert.NotEqual(a, b);
        Assert.True(a.SameAs(b));
        Assert.False(a.SameAs(b with { Env = [new EnvVar("A", "2")] }));
        Assert.False(a.SameAs(b with { Domains = ["other.example.com"] }));
        Assert.False(a.SameAs(b with { HealthCheck = new HealthCheck { Path = "/health" } }));
        Assert.False(a.SameAs(b with { Volumes = [] }));
    }

    [Fact]
    public void ApplyTo_MaskedSecretSentBack_KeepsTheStoredValue_ButANewValueReplacesIt()
    {
        var current = Config(new EnvVar("TOKEN", "real-secret", Secret: true), new EnvVar("PLAIN", "x"));

        var kept = new UpdateContainerRequest { Env = [new EnvVar("TOKEN", EnvVar.Masked), new EnvVar("PLAIN", "y")] }.ApplyTo(current);
        var replaced = new UpdateContainerRequest { Env = [new EnvVar("TOKEN", "new-secret", Secret: true)] }.ApplyTo(current);

        Assert.Equal(new EnvVar("TOKEN", "real-secret", Secret: true), kept.Env[0]);
        Assert.Equal(new EnvVar("PLAIN", "y"), kept.Env[1]);
        Assert.Equal("new-secret", replaced.Env.Single().Value);
        Assert.Equal(EnvVar.Masked, kept.Env[0].VisibleValue);
    }

    [Fact]
    public void ApplyTo_RemoveHealthCheck_ClearsIt_AndNullLeavesIt()
    {
        var current = Config() with { HealthCheck = new HealthCheck { Path = "/health" } };

        Assert.Null(new UpdateContainerRequest { RemoveHealthCheck = true }.ApplyTo(current).HealthCheck);
        Assert.Equal(current.HealthCheck, new UpdateContainerRequest { Replicas = 2 }.ApplyTo(current).HealthCheck);
    }

    [Theory]
    [InlineData("app.example.com", true)]
    [InlineData("a.b", true)]
    [InlineData("localhost", false)]
    [InlineData("App.example.com", false)]
    [InlineData("-bad.example.com", false)]
    [InlineData("a..b", false)]
    [InlineData("has space.example.com", false)]
    public void IsDomain(string domain, bool valid) => Assert.Equal(valid, ContainerValidation.IsDomain(domain));

    [Fact]
    public void ValidateCreate_BadHealthCheckDomainsAndVolumes_OneErrorNamingEveryField()
    {
        var request = new CreateContainerRequest
        {
            Hostname = "web",
            Port = 8080,
            HealthCheck = new HealthCheck { Path = "health", IntervalSeconds = 0, StartWindowSeconds = 0 },
            Domains = ["ok.example.com", "ok.example.com", "bad"],
            Volumes = [new VolumeMount("Data", "relative"), new VolumeMount("logs", "/var/../etc")],
        };

        var error = Assert.Throws<BerthException>(() => ContainerValidation.ValidateCreate(request, "busybox"));

        var fields = ((Dictionary<string, object?>)error.Details!["fields"]!).Keys;
        Assert.Equal(BerthError.ValidationError, error.Error);
        Assert.Equivalent(new[]
        {
            "health_check.path", "health_check.interval", "health_check.start_window", "domains[1]", "domains[2]",
            "volumes[0].name", "volumes[0].path", "volumes[1].path",
        }, fields);
    }

    [Fact]
    public void ValidateConfig_DomainsOrHealthCheckWithoutPort_AndHealthOnAnotherPort_Rejected()
    {
        var noPort = Config() with { Port = null, HealthCheck = new HealthCheck { Path = "/health" } };
        var otherPort = Config() with { HealthCheck = new HealthCheck { Path = "/health", Port = 9090 } };

        var first = Assert.Throws<BerthException>(() => ContainerValidation.ValidateConfig(noPort));
        var second = Assert.Throws<BerthException>(() => ContainerValidation.ValidateConfig(otherPort));

        Assert.Contains("domains", first.Message, StringComparison.Ordinal);
        Assert.Contains("health_check", first.Message, StringComparison.Ordinal);
        Assert.Contains("health_check.port", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_ChangeBackToWhatRuns_ClearsThePendingChange()
    {
        var container = _h.Seed(ContainerState.Running);

        var pending = await _h.Service.UpdateAsync(_h.User, container.Hostname,
            new UpdateContainerRequest { Replicas = 3 }, null, CancellationToken.None).Within();
        var back = await _h.Service.UpdateAsync(_h.User, container.Hostname,
            new UpdateContainerRequest { Replicas = container.Replicas }, null, CancellationToken.None).Within();

        Assert.Equal(3, pending.Pending!.Replicas);
        Assert.Equal(1, pending.Replicas);
        Assert.False(back.HasPendingChanges);
    }

    [Fact]
    public async Task Domains_TakenByAnotherContainersPendingChange_AlreadyExists()
    {
        var first = _h.Seed(ContainerState.Running);
        await _h.Service.UpdateAsync(_h.User, first.Hostname,
            new UpdateContainerRequest { Port = 80, Domains = ["shop.example.com"] }, null, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<BerthException>(() => _h.Service.CreateAsync(CoreHarness.NewAdmin(),
            new CreateContainerRequest { Hostname = "other", Port = 80, Domains = ["shop.example.com"] }, CancellationToken.None)).Within();
        var own = await _h.Service.UpdateAsync(_h.User, first.Hostname,
            new UpdateContainerRequest { Domains = ["shop.example.com", "www.example.com"] }, null, CancellationToken.None).Within();

        Assert.Equal(BerthError.AlreadyExists, error.Error);
        Assert.Equal("shop.example.com", error.Details!["domain"]);
        Assert.Equal(["shop.example.com", "www.example.com"], own.Pending!.Domains);
    }
}
