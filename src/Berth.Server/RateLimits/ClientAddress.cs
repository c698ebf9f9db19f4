using System.Net;
using System.Net.Sockets;

namespace Berth.Server.RateLimits;

/// <summary>The source a request is counted against when it has no credential.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// The peer's address; an IPv4 address whether or not the socket is dual-mode, and an IPv6 address
    /// cut to its /64, since one host usually holds a whole /64 and could otherwise rotate through it.
    /// </summary>
    public static IPAddress Of(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return IPAddress.None;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
