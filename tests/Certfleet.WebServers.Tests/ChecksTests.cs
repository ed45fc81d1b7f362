using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Certfleet.Remote;
using Certfleet.WebServers.Checks;

namespace Certfleet.WebServers.Tests;

public sealed class ChecksTests
{
    private static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FailingTest(string output) : IRemoteHost
    {
        public string Name => "h";

        public List<RemoteCommand> Commands { get; } = [];

        public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
        {
            Commands.Add(command);
            return Task.FromResult(new CommandResult(1, "", output));
        }
    }

    private static WebServerInfo Server(WebServerKind kind, string service, string? layout) => new(kind, service, "1", true, "/etc/" + service, layout, [], []);

    [Fact]
    public async Task Nginx_test_failure_gives_the_file_and_line_of_the_error()
    {
        var host = new FailingTest(Fixture("checks/nginx-t-error.txt"));
        var r = await ConfigTester.TestAsync(host, Server(WebServerKind.Nginx, "nginx", null), Ct);
        Assert.False(r.Passed);
        Assert.Equal(new ConfigLocation("/etc/nginx/conf.d/zz-check.conf", 2), r.Location);
        Assert.StartsWith("invalid parameter \"sslx\"", r.Message, StringComparison.Ordinal);
        Assert.Equal(["nginx", "-t", "-q"], host.Commands.Single().Arguments.TakeLast(3));
    }

    [Fact]
    public async Task Httpd_test_failure_gives_the_line_and_the_reason()
    {
        var host = new FailingTest(Fixture("checks/httpd-t-error.txt"));
        var r = await ConfigTester.TestAsync(host, Server(WebServerKind.Apache, "httpd", "httpd"), Ct);
        Assert.False(r.Passed);
        Assert.Equal(new ConfigLocation("/etc/httpd/conf.d/ssl.conf", 12), r.Location);
        Assert.StartsWith("SSLCertificateFile: file", r.Message, StringComparison.Ordinal);
        Assert.Equal(["httpd", "-t"], host.Commands.Single().Arguments.TakeLast(2));
    }

    [Theory]
    [InlineData("a.example.com", true)]
    [InlineData("example.com", true)]
    [InlineData("b.a.example.com", false)]
    [InlineData("*.example.com", true)]
    [InlineData("*.a.example.com", false)]
    [InlineData(".example.com", true)]
    [InlineData("other.test", false)]
    public void Wildcards_cover_one_label(string name, bool covered) =>
        Assert.Equal(covered, CertificateAnalysis.Covers(["example.com", "*.example.com"], name));

    [Fact]
    public void Names_to_cover_drop_placeholders_ports_and_regexes()
    {
        Assert.Equal(["a.test", "b.test"], CertificateAnalysis.NamesToCover(["_", "a.test:443", "~^www\\d+", "https://b.test", "localhost", "www.x.*", "A.test"]));
    }

    [Fact]
    public void Chain_of_leaf_only_is_incomplete_and_with_its_intermediate_complete()
    {
        using var rootKey = ECDsa.Create();
        using var root = Req("CN=R", rootKey, true).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        using var intKey = ECDsa.Create();
        using var inter = Req("CN=I", intKey, true).Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), [1]);
        using var interWithKey = inter.CopyWithPrivateKey(intKey);
        using var leafKey = ECDsa.Create();
        using var leaf = Req("CN=L", leafKey, false).Create(interWithKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2), [2]);

        Assert.Contains("only the leaf", CertificateAnalysis.ChainProblem([leaf], []), StringComparison.Ordinal);
        Assert.Null(CertificateAnalysis.ChainProblem([leaf, inter], []));
        Assert.Null(CertificateAnalysis.ChainProblem([leaf], [inter.SubjectName]));
        Assert.Contains("wrong order", CertificateAnalysis.ChainProblem([inter, leaf], []), StringComparison.Ordinal);
        Assert.Null(CertificateAnalysis.ChainProblem([root], []));
        Assert.True(CertificateAnalysis.KeyMatches(leaf, leafKey.ExportSubjectPublicKeyInfo()));
        Assert.False(CertificateAnalysis.KeyMatches(leaf, intKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Rsa_1024_is_weak_and_p256_is_not()
    {
        using var rsa = RSA.Create(1024);
        using var weak = new CertificateRequest("CN=w", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var fine = Req("CN=f", ec, false).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.Contains("1024 bits", CertificateAnalysis.WeakKey(weak), StringComparison.Ordinal);
        Assert.Null(CertificateAnalysis.WeakKey(fine));
    }

    [Fact]
    public void Old_protocols_are_found_in_nginx_dumps_apache_and_tomcat_with_their_line()
    {
        var nginx = ProtocolPosture.ScanNginxDump("# configuration file /etc/nginx/nginx.conf:\nhttp {\n  ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n}\n# configuration file /etc/nginx/sites-enabled/a:\nserver {\n ssl_protocols TLSv1.2 TLSv1.3;\n}\n");
        var n = Assert.Single(nginx);
        Assert.Equal(new ConfigLocation("/etc/nginx/nginx.conf", 2), n.Location);
        Assert.Equal(["TLSv1", "TLSv1.1"], n.Enabled);

        var apache = ProtocolPosture.ScanApache("/etc/apache2/mods-enabled/ssl.conf", "#SSLProtocol all\nSSLProtocol all -SSLv3\n<VirtualHost *:443>\n  SSLProtocol -all +TLSv1.2\n");
        var a = Assert.Single(apache);
        Assert.Equal(2, a.Location.Line);
        Assert.Equal(["TLSv1", "TLSv1.1"], a.Enabled);

        var tomcat = ProtocolPosture.ScanTomcat("/s.xml", "<SSLHostConfig protocols=\"TLSv1.2\">\n<SSLHostConfig protocols=\"TLSv1.1+TLSv1.2\">\n");
        Assert.Equal(2, Assert.Single(tomcat).Location.Line);
    }

    [Fact]
    public void Aliases_are_read_from_a_pkcs12_without_its_password()
    {
        using var key = ECDsa.Create();
        using var cert = Req("CN=t", key, false).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var pfx = Path.Combine(Path.GetTempPath(), $"cf-{Guid.NewGuid():N}.p12");
        var pem = Path.Combine(Path.GetTempPath(), $"cf-{Guid.NewGuid():N}.pem");
        File.WriteAllText(pem, cert.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        try
        {
            using var p = System.Diagnostics.Process.Start("openssl", ["pkcs12", "-export", "-name", "MyAlias", "-passout", "pass:secret", "-in", pem, "-out", pfx])!;
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(["MyAlias"], Pkcs12Aliases.Read(File.ReadAllBytes(pfx))!.Distinct());
            Assert.Null(Pkcs12Aliases.Read([1, 2, 3]));
        }
        finally
        {
            File.Delete(pfx);
            File.Delete(pem);
        }
    }

    [Fact]
    public void Readability_follows_owner_group_and_other_bits()
    {
        var f = new RemoteFileInfo("/k", Convert.ToInt32("640", 8), 0, 33, "root", "www-data", 1, DateTimeOffset.UnixEpoch, null);
        Assert.True(f.ReadableBy(0, []));
        Assert.True(f.ReadableBy(33, [33]));
        Assert.False(f.ReadableBy(1000, [1000]));
        Assert.False(f.WorldReadable);
        Assert.True((f with { Mode = Convert.ToInt32("644", 8) }).WorldReadable);
    }

    private static CertificateRequest Req(string subject, ECDsa key, bool ca)
    {
        var r = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        r.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        return r;
    }
}
