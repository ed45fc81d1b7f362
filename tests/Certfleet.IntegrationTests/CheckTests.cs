using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Certfleet.Lab;

namespace Certfleet.IntegrationTests;

[Collection(LabFleetCollection.Name)]
public sealed class CheckTests(LabHosts lab)
{
    private sealed record Finding(string Severity, string Code, string Host, string? File, int? Line, string Message, string Remediation);

    private static List<Finding> Findings(CliRun run)
    {
        using var doc = JsonDocument.Parse(run.Out);
        return doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => new Finding(
            f.GetProperty("severity").GetString()!, f.GetProperty("code").GetString()!, f.GetProperty("host").GetString()!,
            f.GetProperty("file").GetString(), f.GetProperty("line").ValueKind == JsonValueKind.Number ? f.GetProperty("line").GetInt32() : null,
            f.GetProperty("message").GetString()!, f.GetProperty("remediation").GetString()!)).ToList();
    }

    private static Finding One(List<Finding> findings, string host, string code, CliRun run) =>
        findings.FirstOrDefault(f => f.Host == host && f.Code == code) ?? throw new Xunit.Sdk.XunitException($"no {code} on {host}:\n{run}");

    [Fact]
    public async Task A_clean_lab_gives_no_error_and_the_failing_hosts_are_errors()
    {
        using var ws = new LabFleetWorkspace(lab);
        ws.WriteConfig(ws.Config());
        var before = ws.HashTrees();
        var clean = await ws.RunAsync("check", "--json", "@web");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        var findings = Findings(clean);
        Assert.DoesNotContain(findings, f => f.Severity == "error");
        // Debian's nginx.conf still lists TLS 1.0 and 1.1.
        var old = One(findings, "debian12", "old-protocols", clean);
        Assert.Equal("/etc/nginx/nginx.conf", old.File);

        var all = await ws.RunAsync("check");
        Assert.Equal(1, all.ExitCode);
        Assert.Matches(@"error   down - -: ssh: down .* unreachable", all.Out);
        Assert.Matches(@"error   rekey - -: ssh: HOST KEY CHANGED", all.Out);
        Assert.Contains("debian12\t0\t", all.Out, StringComparison.Ordinal);
        Assert.Equal(before, ws.HashTrees());
    }

    [Fact]
    public async Task Broken_setups_are_found_with_file_line_and_fix_and_nothing_is_changed()
    {
        using var ws = new LabFleetWorkspace(lab);
        ws.WriteConfig(ws.Config());
        var original = ws.HashTrees();
        try
        {
            // debian12: a leaf issued by an intermediate, without the intermediate, written over the served file (nginx not reloaded); key made world-readable.
            var debianKey = ECDsa.Create();
            debianKey.ImportFromPem(File.ReadAllText(ws.HostPath("debian12", "/etc/nginx/tls/lab.key")));
            using var root = SelfSigned("CN=Check Root", ECDsa.Create(), ca: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(300));
            var intermediateKey = ECDsa.Create();
            using var intermediate = Issue(root, "CN=Check Intermediate", intermediateKey, ca: true, []);
            using var intermediateWithKey = intermediate.CopyWithPrivateKey(intermediateKey);
            using var leaf = Issue(intermediateWithKey, "CN=debian12.lab.test", debianKey, ca: false, ["debian12.lab.test", "www.debian12.lab.test"]);
            ws.Write("debian12", "/etc/nginx/tls/lab.crt", leaf.ExportCertificatePem() + "\n");
            ws.Chmod("debian12", "/etc/nginx/tls/lab.key", (UnixFileMode)0b110_100_100);

            // rocky9: the key file replaced by another key.
            ws.Write("rocky9", "/etc/pki/tls/private/localhost.key", ECDsa.Create().ExportPkcs8PrivateKeyPem() + "\n");

            // ubuntu24: an expired certificate with the same key, and a name it does not cover.
            var ubuntuKey = ECDsa.Create();
            ubuntuKey.ImportFromPem(File.ReadAllText(ws.HostPath("ubuntu24", "/etc/apache2/tls/lab.crt").Replace("lab.crt", "lab.key", StringComparison.Ordinal)));
            using var expired = SelfSigned("CN=ubuntu24.lab.test", ubuntuKey, ca: false, DateTimeOffset.UtcNow.AddDays(-90), DateTimeOffset.UtcNow.AddDays(-1), ["ubuntu24.lab.test", "www.ubuntu24.lab.test"]);
            ws.Write("ubuntu24", "/etc/apache2/tls/lab.crt", expired.ExportCertificatePem() + "\n");
            var site = File.ReadAllText(ws.HostPath("ubuntu24", "/etc/apache2/sites-available/default-ssl.conf"));
            ws.Write("ubuntu24", "/etc/apache2/sites-available/default-ssl.conf", site.Replace("ServerAlias www.ubuntu24.lab.test", "ServerAlias www.ubuntu24.lab.test shop.example.test", StringComparison.Ordinal));
            var vhostLine = site.Split('\n').ToList().FindIndex(l => l.Contains("<VirtualHost", StringComparison.Ordinal)) + 1;
            var certLine = site.Split('\n').ToList().FindIndex(l => l.TrimStart().StartsWith("SSLCertificateFile", StringComparison.Ordinal)) + 1;

            // tomcat: the configured keystore password is wrong.
            var xml = File.ReadAllText(ws.HostPath("tomcat", "/var/lib/tomcat10/conf/server.xml"));
            ws.Write("tomcat", "/var/lib/tomcat10/conf/server.xml", xml.Replace("certificateKeystorePassword=\"changeit\"", "certificateKeystorePassword=\"not-the-password\"", StringComparison.Ordinal));

            var broken = ws.HashTrees();
            var run = await ws.RunAsync("check", "--json", "@web");
            Assert.True(run.ExitCode == 1, run.ToString());
            var f = Findings(run);

            var chain = One(f, "debian12", "chain-incomplete", run);
            Assert.Equal(("/etc/nginx/sites-enabled/lab-ssl", 6), (chain.File, chain.Line));
            Assert.Contains("full chain", chain.Remediation, StringComparison.Ordinal);
            var world = One(f, "debian12", "key-world-readable", run);
            Assert.Equal(("/etc/nginx/sites-enabled/lab-ssl", 7), (world.File, world.Line));
            Assert.Contains("chmod 600 /etc/nginx/tls/lab.key", world.Remediation, StringComparison.Ordinal);
            var reload = One(f, "debian12", "reload-pending", run);
            Assert.Equal(6, reload.Line);
            Assert.Contains("nginx -s reload", reload.Remediation, StringComparison.Ordinal);

            var mismatch = One(f, "rocky9", "key-mismatch", run);
            Assert.Equal(("/etc/httpd/conf.d/ssl.conf", 74), (mismatch.File, mismatch.Line));
            Assert.Contains("same issuance", mismatch.Remediation, StringComparison.Ordinal);

            var exp = One(f, "ubuntu24", "expired", run);
            Assert.Equal(("/etc/apache2/sites-enabled/default-ssl.conf", certLine), (exp.File, exp.Line));
            var name = One(f, "ubuntu24", "name-not-covered", run);
            Assert.Equal(vhostLine, name.Line);
            Assert.StartsWith("shop.example.test not covered", name.Message, StringComparison.Ordinal);

            var password = One(f, "tomcat", "keystore-password", run);
            Assert.Equal(("/var/lib/tomcat10/conf/server.xml", 110), (password.File, password.Line));
            Assert.DoesNotContain("not-the-password", run.Out, StringComparison.Ordinal);
            Assert.DoesNotContain(f, x => x.Host == "tomcat" && x.Code != "keystore-password" && x.Severity == "error");

            // nginx syntax error, on its own: nginx -t names the file and line.
            ws.Write("debian12", "/etc/nginx/conf.d/zz-check.conf", "server {\n    listen 8081 sslx;\n}\n");
            var syntaxBroken = ws.HashTrees();
            var syntax = await ws.RunAsync("check", "--json", "debian12");
            Assert.Equal(1, syntax.ExitCode);
            var s = One(Findings(syntax), "debian12", "syntax", syntax);
            Assert.Equal(("/etc/nginx/conf.d/zz-check.conf", 2), (s.File, s.Line));
            Assert.Contains("sslx", s.Message, StringComparison.Ordinal);
            Assert.Contains("nginx -t", s.Remediation, StringComparison.Ordinal);

            Assert.Equal(syntaxBroken, ws.HashTrees());
            Assert.NotEqual(broken, syntaxBroken);
        }
        finally
        {
            ws.Restore();
        }

        Assert.Equal(original, ws.HashTrees());
    }

    private static X509Certificate2 SelfSigned(string subject, ECDsa key, bool ca, DateTimeOffset from, DateTimeOffset to, string[]? names = null)
    {
        var req = Request(subject, key, ca, names ?? []);
        return req.CreateSelfSigned(from, to);
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, ECDsa key, bool ca, string[] names)
    {
        var req = Request(subject, key, ca, names);
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        return req.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60), serial);
    }

    private static CertificateRequest Request(string subject, ECDsa key, bool ca, string[] names)
    {
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        if (names.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in names)
            {
                san.AddDnsName(n);
            }

            req.CertificateExtensions.Add(san.Build());
        }

        return req;
    }
}
