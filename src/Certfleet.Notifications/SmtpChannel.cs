using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Certfleet.Notifications;

/// <summary>E-mail through an SMTP server with MailKit.</summary>
public sealed class SmtpChannel(SmtpSettings settings, TimeSpan? timeout = null) : INotificationChannel
{
    public string Name => "smtp";

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var to in settings.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = notification.Title;
        message.Headers.Add("X-Certfleet-Event", notification.EventName);
        message.Body = new TextPart("plain") { Text = notification.Text };

        using var client = new SmtpClient { Timeout = (int)(timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds };
        if (settings.CaBundle is { } bundle)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(bundle);
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) => Validate(certificate, errors, roots);
        }

        var options = settings.Security switch
        {
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls,
        };
        try
        {
            await client.ConnectAsync(settings.Host, settings.Port, options, cancellationToken);
            if (settings.Username is { } user && settings.Password is { } password)
            {
                await client.AuthenticateAsync(user, password.Reveal(), cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (AuthenticationException e)
        {
            throw new NotificationException($"notify: SMTP login as {settings.Username} at {settings.Host}:{settings.Port} refused; check notifications.smtp.username and password", e);
        }
        catch (SslHandshakeException e)
        {
            throw new NotificationException($"notify: TLS with {settings.Host}:{settings.Port} failed ({e.Message.Split('\n')[0]}); check notifications.smtp.security and caBundle", e);
        }
        catch (NotSupportedException e) when (options == SecureSocketOptions.StartTls)
        {
            throw new NotificationException($"notify: {settings.Host}:{settings.Port} does not offer STARTTLS; use security: tls on port 465, or none for a local relay", e);
        }
        catch (CommandException e)
        {
            throw new NotificationException($"notify: {settings.Host}:{settings.Port} refused the message: {e.Message}", e);
        }
        catch (Exception e) when (e is ProtocolException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new NotificationException($"notify: cannot reach SMTP server {settings.Host}:{settings.Port} ({e.Message}); check notifications.smtp.host and port", e);
        }
    }

    private static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
