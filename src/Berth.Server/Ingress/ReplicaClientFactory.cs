using Yarp.ReverseProxy.Forwarder;

namespace Berth.Server.Ingress;

/// <summary>
/// YARP's client to the replicas, without the distributed-tracing headers it adds to every request by default:
/// Berth traces nothing across the ingress, and the propagation costs every proxied request.
/// </summary>
internal sealed class ReplicaClientFactory : ForwarderHttpClientFactory
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = null;
    }
}
