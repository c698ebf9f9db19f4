using Berth.Api.Tests.Infrastructure;
using Berth.Core.Ingress;
using Berth.Server.Ingress;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Api.Tests.Ingress;

public sealed class IngressOffTests
{
    [Fact]
    public async Task PublishAsync_IngressOff_KeepsTheTableWithoutWaitingForAProxy()
    {
        await using var server = new BerthServer(null, null, new Dictionary<string, string?> { ["Berth:Ingress:Url"] = "off" });
        var routes = server.Services.GetRequiredService<IIngressRoutes>();
        var container = Guid.NewGuid();
        IngressBackend[] backends = [new("off-0", 1)];

        await routes.PublishAsync(container, ["off.example.test"], backends, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(server.Services.GetRequiredService<IngressServer>().Address);
        Assert.Equal(backends, routes.BackendsOf(container));
        Assert.Throws<InvalidOperationException>(server.IngressClient);
    }
}
