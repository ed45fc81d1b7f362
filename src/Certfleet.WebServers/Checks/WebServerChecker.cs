using System.Security.Cryptography.X509Certificates;
using Certfleet.Remote;

namespace Certfleet.WebServers.Checks;

/// <summary>What the check learned about one endpoint's configured certificate (for the served-vs-configured comparison).</summary>
/// <param name="LeafSha256">SHA-256 of the configured leaf certificate, upper-case hex; null when it could not be read.</param>
/// <param name="CertificateModified">When the certificate file (or keystore) was last written.</param>
public sealed record EndpointCheck(TlsEndpoint Endpoint, string? LeafSha256, IReadOnlyList<string> LeafNames, DateTimeOffset? LeafNotAfter, DateTimeOffset? CertificateModified);

/// <summary>The checks of one web server on one host.</summary>
public sealed record WebServerCheck(
    WebServerInfo Server,
    ConfigTestResult Syntax,
    IReadOnlyList<EndpointCheck> Endpoints,
    IReadOnlyList<ServerProcess> Processes,
    IReadOnlyList<CheckFinding> Findings)
{
    /// <summary>When the youngest process of this server started: a file written later is not loaded yet.</summary>
    public DateTimeOffset? LastStarted => Processes.Count == 0 ? null : Processes.Max(p => p.Started);
}

/// <summary>
/// Runs every configuration check of one web server over an <see cref="IRemoteHost"/>: syntax, each TLS endpoint's files
/// (presence, readability by the service user, key match, chain, validity, names), and posture (key mode and owner,
/// SELinux label, old protocols, weak keys). Read-only: it runs tests and reads files, nothing else.
/// </summary>
public static class WebServerChecker
{
    private static readonly string[] CaBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"];

    public static async Task<WebServerCheck> CheckAsync(IRemoteHost host, WebServerInfo server, CheckHostContext context, CheckOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var sink = new FindingSink(context.HostName, server.Service);
        var files = new RemoteFileSource(host);

        ConfigTestResult syntax;
        var keystores = new Dictionary<int, KeystoreOpen>();
        if (server.Kind == WebServerKind.Tomcat)
        {
            await TomcatChecks.AnalyzeAsync(host, server, sink, keystores, cancellationToken);
            var first = sink.Items.FirstOrDefault(f => f.Severity == CheckSeverity.Error);
            syntax = new ConfigTestResult(server.Service, first is null, "server.xml parse and keystore open", first?.Message, first?.Location, "");
        }
        else
        {
            syntax = await ConfigTester.TestAsync(host, server, cancellationToken);
            if (!syntax.Passed)
            {
                sink.Error("syntax", syntax.Location, $"{syntax.Command} fails: {syntax.Message}",
                    $"fix the configuration{(syntax.Location is { } l ? $" at {l}" : "")}; '{syntax.Command}' must pass before any reload");
            }
        }

        foreach (var finding in server.Findings.Where(f => !f.Message.Contains(" reports an invalid configuration", StringComparison.Ordinal)))
        {
            sink.Warning("config", finding.Location, finding.Message, "fix or remove the file; certfleet could not read all of the configuration");
        }

        var processes = (await RemoteProbes.ProcessesAsync(host, cancellationToken)).Where(p => Belongs(server, p)).ToList();
        if (!server.Running)
        {
            sink.Warning("not-running", null, $"{server.Service} is installed but not running", $"start {server.Service}, or remove it if it is not used");
        }

        var serviceUser = server.Kind == WebServerKind.Tomcat
            ? processes.OrderBy(p => p.Started).FirstOrDefault()?.User ?? "tomcat"
            : processes.OrderBy(p => p.Started).FirstOrDefault()?.User ?? "root";
        var ids = await RemoteProbes.UserIdsAsync(host, serviceUser, cancellationToken);
        var roots = await KnownRootsAsync(host, cancellationToken);

        var endpoints = new List<EndpointCheck>();
        foreach (var endpoint in server.Endpoints)
        {
            endpoints.Add(await EndpointAsync(host, files, server, endpoint, context, options, serviceUser, ids, roots, keystores, sink, cancellationToken));
        }

        await ProtocolsAsync(host, files, server, sink, cancellationToken);
        return new WebServerCheck(server, syntax, endpoints, processes, sink.Items);
    }

    private static bool Belongs(WebServerInfo server, ServerProcess p) => server.Kind switch
    {
        WebServerKind.Nginx => p.Command == "nginx",
        WebServerKind.Apache => p.Command is "httpd" or "apache2",
        _ => p.Command == "java",
    };

    private static async Task<IReadOnlyCollection<X500DistinguishedName>> KnownRootsAsync(IRemoteHost host, CancellationToken cancellationToken)
    {
        var files = new RemoteFileSource(host);
        foreach (var bundle in CaBundles)
        {
            var read = await files.ReadAsync(bundle, 4 * 1024 * 1024, cancellationToken);
            if (read.Text is not null)
            {
                return CertificateAnalysis.ParsePem(read.Text).Select(c => c.SubjectName).ToList();
            }
        }

        return [];
    }

    private static async Task<EndpointCheck> EndpointAsync(
        IRemoteHost host, IFileSource files, WebServerInfo server, TlsEndpoint endpoint, CheckHostContext context, CheckOptions options,
        string serviceUser, (int Uid, IReadOnlyList<int> Gids)? ids, IReadOnlyCollection<X500DistinguishedName> roots,
        Dictionary<int, KeystoreOpen> keystores, FindingSink sink, CancellationToken cancellationToken)
    {
        var certAt = endpoint.CertificateLocation ?? endpoint.Location;
        var none = new EndpointCheck(endpoint, null, [], null, null);
        IReadOnlyList<X509Certificate2> chain;
        DateTimeOffset? modified = null;
        var isKeystore = endpoint.Keystore is not null && endpoint.CertificateFile is null;
        if (isKeystore)
        {
            var ks = endpoint.Keystore!;
            var info = await RemoteProbes.StatAsync(host, ks.File, cancellationToken);
            modified = info?.Modified;
            if (info is not null)
            {
                FileAccess(sink, server, certAt, info, serviceUser, ids, "keystore");
                if (info.WorldReadable)
                {
                    sink.Warning("keystore-world-readable", certAt, $"keystore {ks.File} is readable by every user (mode {Octal(info.Mode)}); its password is in server.xml",
                        $"chmod 640 {ks.File} and chgrp it to Tomcat's group");
                }

                Label(sink, context, certAt, info);
            }

            if (!keystores.TryGetValue(certAt.Line, out var opened) || opened.Chain is null)
            {
                return none with { CertificateModified = modified };
            }

            chain = opened.Chain;
        }
        else
        {
            if (endpoint.CertificateFile is not { } certFile)
            {
                sink.Error("no-certificate", endpoint.Location, "TLS endpoint without a certificate file", server.Kind == WebServerKind.Nginx ? "add ssl_certificate to the server block" : "add SSLCertificateFile to the virtual host");
                return none;
            }

            var (bytes, problem) = await RemoteProbes.ReadBytesAsync(host, certFile, 1024 * 1024, cancellationToken);
            if (bytes is null)
            {
                sink.Error("certificate-missing", certAt, $"certificate: {problem}", "create the file or fix the path; the server will not start without it");
                return none;
            }

            var text = System.Text.Encoding.UTF8.GetString(bytes);
            var certs = CertificateAnalysis.ParsePem(text).ToList();
            if (certs.Count == 0)
            {
                sink.Error("certificate-invalid", certAt, $"{certFile} holds no PEM certificate", "write the certificate (PEM, leaf first) to the file");
                return none;
            }

            var certInfo = await RemoteProbes.StatAsync(host, certFile, cancellationToken);
            modified = certInfo?.Modified;
            if (certInfo is not null)
            {
                FileAccess(sink, server, certAt, certInfo, serviceUser, ids, "certificate");
                Label(sink, context, certAt, certInfo);
            }

            chain = certs;
            if (endpoint.CertificateChainFile is { } chainFile)
            {
                var chainRead = await files.ReadAsync(chainFile, 1024 * 1024, cancellationToken);
                if (chainRead.Text is null)
                {
                    sink.Error("chain-missing", certAt, $"chain file: {chainRead.Problem}", "create the chain file or remove SSLCertificateChainFile");
                }
                else
                {
                    chain = [.. certs, .. CertificateAnalysis.ParsePem(chainRead.Text)];
                }
            }

            await KeyAsync(host, files, server, endpoint, certs[0], text, context, serviceUser, ids, sink, cancellationToken);
        }

        var leaf = chain[0];
        LeafChecks(sink, server, endpoint, certAt, chain, roots, options, isKeystore);
        return new EndpointCheck(endpoint, CertificateAnalysis.Sha256(leaf), CertificateAnalysis.DnsNames(leaf), leaf.NotAfter.ToUniversalTime(), modified);
    }

    private static void LeafChecks(FindingSink sink, WebServerInfo server, TlsEndpoint endpoint, ConfigLocation certAt, IReadOnlyList<X509Certificate2> chain,
        IReadOnlyCollection<X500DistinguishedName> roots, CheckOptions options, bool keystore)
    {
        var leaf = chain[0];
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var what = keystore ? $"keystore {endpoint.Keystore!.File}" : endpoint.CertificateFile;
        if (notAfter <= options.Now)
        {
            sink.Error("expired", certAt, $"certificate {leaf.Subject} in {what} expired on {notAfter:yyyy-MM-dd HH:mm} UTC",
                "deploy a renewed certificate ('certfleet issue NAME' then deploy) and reload the server");
        }
        else if (notAfter - options.Now < options.WarningWindow)
        {
            sink.Warning("expiring", certAt, $"certificate {leaf.Subject} in {what} expires on {notAfter:yyyy-MM-dd} ({(notAfter - options.Now).TotalDays:0} days left)",
                "renew it now ('certfleet issue NAME') and deploy it");
        }
        else if (notBefore > options.Now)
        {
            sink.Error("not-yet-valid", certAt, $"certificate {leaf.Subject} in {what} is valid only from {notBefore:yyyy-MM-dd HH:mm} UTC", "check the host's clock and the certificate");
        }

        var names = CertificateAnalysis.DnsNames(leaf);
        var missing = CertificateAnalysis.NamesToCover(endpoint.ServerNames).Where(n => !CertificateAnalysis.Covers(names, n)).ToList();
        if (missing.Count > 0)
        {
            sink.Error("name-not-covered", endpoint.Location, $"{string.Join(", ", missing)} not covered by the certificate (it covers {(names.Count == 0 ? "no DNS name" : string.Join(", ", names))})",
                "add the name(s) to the certificate's domains in certfleet.yaml and issue it again, or remove them from the server block / virtual host");
        }

        if (!keystore || chain.Count > 1)
        {
            var problem = CertificateAnalysis.ChainProblem(chain, roots);
            if (problem is not null)
            {
                var fix = server.Kind switch
                {
                    WebServerKind.Nginx => $"point ssl_certificate at the full chain (fullchain.pem: the certificate followed by its intermediates), not {endpoint.CertificateFile}",
                    WebServerKind.Apache => "point SSLCertificateFile at the full chain (fullchain.pem); Apache 2.4.8 and later read the intermediates from it",
                    _ => "put the intermediates into the keystore or certificateChainFile",
                };
                sink.Error("chain-incomplete", certAt, $"chain incomplete: {problem}; clients without the intermediate will refuse the connection", fix);
            }
        }

        if (CertificateAnalysis.WeakKey(leaf) is { } weak)
        {
            sink.Error("weak-key", certAt, $"certificate {leaf.Subject} has a weak {weak}", "issue a new certificate with keyType ec-p256 or rsa-2048 (or larger)");
        }
    }

    private static async Task KeyAsync(IRemoteHost host, IFileSource files, WebServerInfo server, TlsEndpoint endpoint, X509Certificate2 leaf, string certText,
        CheckHostContext context, string serviceUser, (int Uid, IReadOnlyList<int> Gids)? ids, FindingSink sink, CancellationToken cancellationToken)
    {
        var keyPath = endpoint.CertificateKeyFile;
        if (keyPath is null)
        {
            if (certText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                keyPath = endpoint.CertificateFile!;
            }
            else
            {
                sink.Error("no-key", endpoint.CertificateLocation ?? endpoint.Location, "no private key configured and none in the certificate file",
                    server.Kind == WebServerKind.Nginx ? "add ssl_certificate_key" : "add SSLCertificateKeyFile");
                return;
            }
        }

        var keyAt = await DirectiveLocationAsync(files, endpoint, keyPath, server.Kind switch
        {
            WebServerKind.Nginx => "ssl_certificate_key",
            WebServerKind.Apache => "SSLCertificateKeyFile",
            _ => "certificateKeyFile",
        }, cancellationToken);
        var info = await RemoteProbes.StatAsync(host, keyPath, cancellationToken);
        if (info is null)
        {
            sink.Error("key-missing", keyAt, $"private key {keyPath} does not exist", "deploy the key that belongs to the certificate, or fix the path");
            return;
        }

        FileAccess(sink, server, keyAt, info, serviceUser, ids, "private key");
        if (info.WorldReadable)
        {
            sink.Error("key-world-readable", keyAt, $"private key {keyPath} is readable by every user (mode {Octal(info.Mode)}, owner {info.Owner}:{info.Group})",
                $"chmod 600 {keyPath} (or 640 with a group only the server's user is in), then replace the certificate: the key may have leaked");
        }
        else if (info.GroupReadable && info.Gid != 0 && info.Group != serviceUser && !context.KeyGroups.Contains(info.Group))
        {
            sink.Warning("key-group-readable", keyAt, $"private key {keyPath} is readable by group {info.Group} (mode {Octal(info.Mode)})", $"chmod 600 {keyPath} unless {info.Group} holds only the server's user");
        }

        if (info.Uid != 0 && info.Owner != serviceUser)
        {
            sink.Warning("key-owner", keyAt, $"private key {keyPath} is owned by {info.Owner}, not root or {serviceUser}", $"chown root:root {keyPath}");
        }

        Label(sink, context, keyAt, info);
        var (spki, problem) = await RemoteProbes.PublicKeyOfAsync(host, keyPath, cancellationToken);
        if (spki is null)
        {
            sink.Warning("key-unreadable", keyAt, problem!, "check that the key is an unencrypted PEM private key and that openssl is installed on the host");
        }
        else if (!CertificateAnalysis.KeyMatches(leaf, spki))
        {
            sink.Error("key-mismatch", keyAt, $"private key {keyPath} does not belong to the certificate {endpoint.CertificateFile} ({leaf.Subject}); the server will refuse to start",
                "deploy the key and certificate of the same issuance together (privkey.pem with fullchain.pem), then run the check again");
        }
    }

    /// <summary>The line of a directive naming <paramref name="value"/>, nearest to the certificate's own line; the certificate's line otherwise.</summary>
    private static async Task<ConfigLocation> DirectiveLocationAsync(IFileSource files, TlsEndpoint endpoint, string value, string directive, CancellationToken cancellationToken)
    {
        var at = endpoint.CertificateLocation ?? endpoint.Location;
        var read = await files.ReadAsync(at.File, ConfigLimits.MaxFileBytes, cancellationToken);
        if (read.Text is null)
        {
            return at;
        }

        var lines = read.Text.Split('\n');
        var best = -1;
        for (var i = 0; i < lines.Length; i++)
        {
            var l = lines[i].TrimStart();
            if (!l.StartsWith('#') && l.Contains(directive, StringComparison.OrdinalIgnoreCase) && l.Contains(value, StringComparison.Ordinal)
                && (best < 0 || Math.Abs(i + 1 - at.Line) < Math.Abs(best + 1 - at.Line)))
            {
                best = i;
            }
        }

        return best < 0 ? at : new ConfigLocation(at.File, best + 1);
    }

    private static void FileAccess(FindingSink sink, WebServerInfo server, ConfigLocation at, RemoteFileInfo info, string serviceUser, (int Uid, IReadOnlyList<int> Gids)? ids, string what)
    {
        if (ids is { } u && !info.ReadableBy(u.Uid, u.Gids))
        {
            sink.Error("not-readable", at, $"{what} {info.Path} is not readable by {serviceUser}, the user {server.Service} runs as (mode {Octal(info.Mode)}, owner {info.Owner}:{info.Group})",
                $"chgrp {serviceUser} {info.Path} && chmod g+r {info.Path}");
        }
    }

    private static void Label(FindingSink sink, CheckHostContext context, ConfigLocation at, RemoteFileInfo info)
    {
        if (context.SeLinuxEnforcing && info.Label is { } label && !label.Contains(":cert_t:", StringComparison.Ordinal))
        {
            sink.Error("selinux-label", at, $"{info.Path} is labelled {label}; SELinux enforces and the server may read only cert_t files",
                $"restorecon -v {info.Path} (or semanage fcontext -a -t cert_t '{info.Path}' then restorecon)");
        }
    }

    private static async Task ProtocolsAsync(IRemoteHost host, IFileSource files, WebServerInfo server, FindingSink sink, CancellationToken cancellationToken)
    {
        IReadOnlyList<ProtocolPosture.OldProtocols> found;
        switch (server.Kind)
        {
            case WebServerKind.Nginx:
                var dump = await host.RunAsync(RemoteCommand.Script(WebServerDetector.PathPrefix + $"nginx -T 2>/dev/null | head -c {ConfigLimits.MaxDumpBytes}"), cancellationToken);
                found = ProtocolPosture.ScanNginxDump(dump.Stdout);
                break;
            case WebServerKind.Apache:
                var list = new List<ProtocolPosture.OldProtocols>();
                var paths = server.Endpoints.Select(e => e.Location.File).Append(server.Layout == "httpd" ? "/etc/httpd/conf.d/ssl.conf" : "/etc/apache2/mods-enabled/ssl.conf").Distinct();
                foreach (var path in paths)
                {
                    var read = await files.ReadAsync(path, ConfigLimits.MaxFileBytes, cancellationToken);
                    if (read.Text is not null && !ConfigLimits.LooksBinary(read.Text))
                    {
                        list.AddRange(ProtocolPosture.ScanApache(path, read.Text));
                    }
                }

                found = list;
                break;
            default:
                var xml = server.ConfigRoot.TrimEnd('/') + "/conf/server.xml";
                var text = await files.ReadAsync(xml, ConfigLimits.MaxFileBytes, cancellationToken);
                found = text.Text is null ? [] : ProtocolPosture.ScanTomcat(xml, text.Text);
                break;
        }

        foreach (var f in found.DistinctBy(f => f.Location))
        {
            sink.Warning("old-protocols", f.Location, $"{f.Directive} enables {string.Join(", ", f.Enabled)} (deprecated, RFC 8996)",
                server.Kind switch
                {
                    WebServerKind.Nginx => "ssl_protocols TLSv1.2 TLSv1.3;",
                    WebServerKind.Apache => "SSLProtocol -all +TLSv1.2 +TLSv1.3",
                    _ => "protocols=\"TLSv1.2+TLSv1.3\" on the SSLHostConfig",
                });
        }
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(3, '0');
}
