namespace Certfleet.WebServers.Tests;

public sealed class ParserTests
{
    private static string Fixture(string path) => Path.Combine(AppContext.BaseDirectory, "Fixtures", path);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Nginx_dump_of_the_debian_default_yields_the_tls_site_with_file_and_line()
    {
        var parsed = NginxConfigParser.ParseDump(File.ReadAllText(Fixture("nginx/debian-default-T.txt")));
        var ep = Assert.Single(parsed.Endpoints);
        Assert.Equal(443, ep.Port);
        Assert.Equal(["example.com", "www.example.com"], ep.ServerNames);
        Assert.Equal("/etc/ssl/example/fullchain.pem", ep.CertificateFile);
        Assert.Equal("/etc/ssl/example/privkey.pem", ep.CertificateKeyFile);
        Assert.Equal(new ConfigLocation("/etc/nginx/sites-enabled/example-ssl", 1), ep.Location);
        Assert.Equal(new ConfigLocation("/etc/nginx/sites-enabled/example-ssl", 5), ep.CertificateLocation);
        Assert.Empty(parsed.Findings);
    }

    [Fact]
    public void Nginx_inherits_the_certificate_from_http_and_honours_ssl_on()
    {
        var text = "http {\n  ssl_certificate /c.pem;\n  ssl_certificate_key /k.pem;\n  server {\n    listen 8443;\n    ssl on;\n    server_name \"a.test\";\n  }\n  server { listen 80; }\n}\n";
        var ep = Assert.Single(NginxConfigParser.ParseFile("/etc/nginx/nginx.conf", text).Endpoints);
        Assert.Equal(8443, ep.Port);
        Assert.Equal("/c.pem", ep.CertificateFile);
        Assert.Equal(4, ep.Location.Line);
        Assert.Equal(["a.test"], ep.ServerNames);
    }

    [Fact]
    public void Nginx_with_unbalanced_braces_reports_findings_and_keeps_what_it_can()
    {
        var text = "server {\n listen 443 ssl;\n ssl_certificate /a.pem;\n}\n}\nserver {\n listen 444 ssl;\n";
        var parsed = NginxConfigParser.ParseFile("/etc/nginx/sites-enabled/broken", text);
        Assert.Contains(parsed.Findings, f => f.Message.Contains("unexpected '}'", StringComparison.Ordinal) && f.Location!.Line == 5);
        Assert.Contains(parsed.Findings, f => f.Message.Contains("never closed", StringComparison.Ordinal) && f.Location!.Line == 6);
        Assert.Equal(443, parsed.Endpoints[0].Port);
    }

    [Fact]
    public void Nginx_binary_section_is_a_finding()
    {
        var dump = "# configuration file /etc/nginx/bin.conf:\n\0\u0001\u0002ELF\0\0{{{\n# configuration file /etc/nginx/ok.conf:\nserver { listen 443 ssl; }\n";
        var parsed = NginxConfigParser.ParseDump(dump);
        Assert.Contains(parsed.Findings, f => f.Location!.File == "/etc/nginx/bin.conf" && f.Message.Contains("binary", StringComparison.Ordinal));
        Assert.Single(parsed.Endpoints);
    }

    [Fact]
    public async Task Apache2_layout_of_debian_follows_includes_and_finds_default_ssl()
    {
        var files = new LocalFileSource(Fixture("debian-apache2"));
        var defines = new Dictionary<string, string> { ["APACHE_LOG_DIR"] = "/var/log/apache2" };
        var parsed = await ApacheConfigParser.ParseAsync(files, "/etc/apache2", "apache2.conf", defines, Ct);
        var ep = Assert.Single(parsed.Endpoints);
        Assert.Equal(443, ep.Port);
        Assert.Equal("/etc/ssl/certs/ssl-cert-snakeoil.pem", ep.CertificateFile);
        Assert.Equal("/etc/ssl/private/ssl-cert-snakeoil.key", ep.CertificateKeyFile);
        Assert.Null(ep.CertificateChainFile);
        Assert.Equal(new ConfigLocation("/etc/apache2/sites-enabled/default-ssl.conf", 1), ep.Location);
        Assert.Equal(31, ep.CertificateLocation!.Line);
    }

    [Fact]
    public async Task Httpd_layout_of_rhel_reads_conf_d_ssl_conf_relative_to_server_root()
    {
        var files = new LocalFileSource(Fixture("rhel-httpd"));
        var parsed = await ApacheConfigParser.ParseAsync(files, "/etc/httpd", "conf/httpd.conf", null, Ct);
        var ep = Assert.Single(parsed.Endpoints);
        Assert.Equal(new ConfigLocation("/etc/httpd/conf.d/ssl.conf", 28), ep.Location);
        Assert.Equal(["www.lab.test", "www.www.lab.test"], ep.ServerNames);
        Assert.Equal("/etc/pki/tls/certs/localhost.crt", ep.CertificateFile);
        Assert.Equal("/etc/pki/tls/private/localhost.key", ep.CertificateKeyFile);
        Assert.Empty(parsed.Findings);
    }

    [Fact]
    public async Task Apache_survives_binary_huge_and_looping_includes()
    {
        var root = Directory.CreateTempSubdirectory("cf-apache-").FullName;
        try
        {
            var conf = Path.Combine(root, "etc/httpd/conf.d");
            Directory.CreateDirectory(conf);
            File.WriteAllText(Path.Combine(root, "etc/httpd/main.conf"), "Include conf.d/*.conf\nInclude main.conf\n<VirtualHost *:443>\nSSLEngine on\nSSLCertificateFile /x.pem\nServerName x.test\n</VirtualHost>\n</VirtualHost>\n");
            File.WriteAllBytes(Path.Combine(conf, "a-binary.conf"), [0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3, 0]);
            using (var big = File.Create(Path.Combine(conf, "b-huge.conf")))
            {
                big.SetLength(50L * 1024 * 1024);
            }

            var parsed = await ApacheConfigParser.ParseAsync(new LocalFileSource(root), "/etc/httpd", "main.conf", null, Ct);
            Assert.Contains(parsed.Findings, f => f.Message.Contains("binary", StringComparison.Ordinal));
            Assert.Contains(parsed.Findings, f => f.Message.Contains("52428800 bytes", StringComparison.Ordinal));
            Assert.Contains(parsed.Findings, f => f.Message.Contains("include loop", StringComparison.Ordinal));
            Assert.Contains(parsed.Findings, f => f.Message.Contains("without <VirtualHost>", StringComparison.Ordinal));
            Assert.Equal("/x.pem", Assert.Single(parsed.Endpoints).CertificateFile);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Tomcat_debian_default_server_xml_has_no_tls_connector()
    {
        var parsed = TomcatConfigParser.Parse("/var/lib/tomcat10/conf/server.xml", File.ReadAllText(Fixture("tomcat/server-debian-default.xml")), "/var/lib/tomcat10");
        Assert.Empty(parsed.Endpoints);
        Assert.Empty(parsed.Findings);
    }

    [Fact]
    public void Tomcat_pkcs12_connector_reports_keystore_and_password_presence_only()
    {
        var xml = File.ReadAllText(Fixture("tomcat/server-pkcs12.xml"));
        var ep = Assert.Single(TomcatConfigParser.Parse("/srv/base/conf/server.xml", xml, "/srv/base").Endpoints);
        Assert.Equal(443, ep.Port);
        Assert.Equal(new KeystoreInfo("/srv/base/conf/lab.p12", "PKCS12", "tomcat", true), ep.Keystore);
        Assert.DoesNotContain("changeit", ep.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Tomcat_pem_certificate_and_legacy_connector_attributes()
    {
        var xml = """
            <Server port="8005" shutdown="SHUTDOWN"><Service name="Catalina">
              <Connector port="8443" SSLEnabled="true" protocol="org.apache.coyote.http11.Http11NioProtocol">
                <SSLHostConfig hostName="shop.example.com">
                  <Certificate certificateFile="conf/cert.pem" certificateKeyFile="/etc/tls/key.pem" certificateChainFile="conf/chain.pem" type="RSA"/>
                </SSLHostConfig>
              </Connector>
              <Connector port="9443" SSLEnabled="true" keystoreFile="${catalina.base}/conf/old.jks" keystorePass="x" keyAlias="old"/>
            </Service></Server>
            """;
        var parsed = TomcatConfigParser.Parse("/b/conf/server.xml", xml, "/b");
        Assert.Equal(2, parsed.Endpoints.Count);
        var pem = parsed.Endpoints[0];
        Assert.Equal(("/b/conf/cert.pem", "/etc/tls/key.pem", "/b/conf/chain.pem"), (pem.CertificateFile, pem.CertificateKeyFile, pem.CertificateChainFile));
        Assert.Equal(["shop.example.com"], pem.ServerNames);
        Assert.Equal(4, pem.CertificateLocation!.Line);
        Assert.Equal(new KeystoreInfo("/b/conf/old.jks", "JKS", "old", true), parsed.Endpoints[1].Keystore);
    }

    [Fact]
    public void Tomcat_garbage_is_a_finding_not_an_exception()
    {
        var parsed = TomcatConfigParser.Parse("/b/conf/server.xml", "<Server><Connector port=\"443\" SSLEnabled=\"true\">", "/b");
        Assert.Empty(parsed.Endpoints);
        Assert.Contains("not well-formed", Assert.Single(parsed.Findings).Message, StringComparison.Ordinal);
        var bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><Server>&b;</Server>";
        Assert.NotEmpty(TomcatConfigParser.Parse("/b/conf/server.xml", bomb, "/b").Findings);
    }
}
