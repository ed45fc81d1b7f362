using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Certfleet.Dns;

/// <summary>A DNS server written as <c>host</c>, <c>host:port</c>, <c>1.2.3.4:53</c> or <c>[::1]:53</c>.</summary>
public sealed record DnsServerEndpoint(string Host, int Port)
{
    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out DnsServerEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        var s = (text ?? "").Trim();
        string host;
        string? port = null;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{s}' has '[' without ']'; write [::1]:53";
                return false;
            }

            host = s[1..close];
            var rest = s[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    error = $"'{s}' must be [address]:port";
                    return false;
                }

                port = rest[1..];
            }
        }
        else if (s.Count(c => c == ':') == 1)
        {
            var i = s.IndexOf(':', StringComparison.Ordinal);
            host = s[..i];
            port = s[(i + 1)..];
        }
        else
        {
            host = s; // a name, an IPv4 address, or an IPv6 address without a port
        }

        if (host.Length == 0)
        {
            error = $"'{s}' has no host; write host:port, e.g. ns1.example.com:53";
            return false;
        }

        var p = defaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p is < 1 or > 65535))
        {
            error = $"'{s}' has an invalid port '{port}'; use 1 to 65535";
            return false;
        }

        endpoint = new DnsServerEndpoint(host.TrimEnd('.'), p);
        error = null;
        return true;
    }

    /// <summary>The addresses to send to: the literal address, or the host's A/AAAA from the system resolver.</summary>
    public async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var address))
        {
            return [new IPEndPoint(address, Port)];
        }

        try
        {
            var addresses = await System.Net.Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
            return addresses.Select(a => new IPEndPoint(a, Port)).ToList();
        }
        catch (SocketException e)
        {
            throw new DnsProviderException($"cannot resolve the DNS server name '{Host}' ({e.SocketErrorCode}); check the name or write an address", e);
        }
    }
}
