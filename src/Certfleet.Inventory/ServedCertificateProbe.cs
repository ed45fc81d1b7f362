using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Certfleet.Inventory;

/// <summary>Connects to a TLS endpoint with SNI and records the certificate served, trusted or not.</summary>
public static class ServedCertificateProbe
{
    public static async Task<(ServedCertificate? Certificate, string? Error)> ProbeAsync(string address, int port, string? serverName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(address, port, cts.Token);
            X509Certificate2? served = null;
            await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
            {
                // Any certificate is accepted: the point is to see what is served, not to trust it.
                served = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                return true;
            });
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName is { Length: > 0 } && !serverName.Contains('*', StringComparison.Ordinal) ? serverName : address,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cts.Token);
            using (served)
            {
                return served is null ? (null, "no certificate was served") : (Describe(served), null);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no TLS answer from {address}:{port} within {timeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            return (null, $"TLS handshake with {address}:{port} failed: {e.Message}");
        }
    }

    public static ServedCertificate Describe(X509Certificate2 cert)
    {
        ArgumentNullException.ThrowIfNull(cert);
        var names = new List<string>();
        foreach (var ext in cert.Extensions)
        {
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
        }

        return new ServedCertificate(cert.Subject, names, cert.Issuer, Convert.ToHexString(cert.SerialNumberBytes.Span),
            cert.NotBefore.ToUniversalTime(), cert.NotAfter.ToUniversalTime(), Convert.ToHexString(SHA256.HashData(cert.RawData)));
    }
}
