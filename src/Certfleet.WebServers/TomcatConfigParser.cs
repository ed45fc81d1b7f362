using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Certfleet.WebServers;

/// <summary>
/// Reads Tomcat's server.xml: every Connector with SSLEnabled or an SSLHostConfig, with its Certificate
/// (keystore or PEM files). Also the attributes of Tomcat 8.5 and older on the Connector itself.
/// </summary>
public static class TomcatConfigParser
{
    public static ParsedConfig Parse(string file, string xml, string catalinaBase)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var findings = new List<ConfigFinding>();
        var endpoints = new List<TlsEndpoint>();
        if (ConfigLimits.LooksBinary(xml))
        {
            return new ParsedConfig([], [new ConfigFinding("server.xml holds binary content; not parsed", new ConfigLocation(file, 1))]);
        }

        XDocument doc;
        try
        {
            // No DTD processing: entity expansion would let a hostile file blow up memory.
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, MaxCharactersInDocument = ConfigLimits.MaxFileBytes * 2 };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            return new ParsedConfig([], [new ConfigFinding($"server.xml is not well-formed XML: {e.Message}", new ConfigLocation(file, e.LineNumber))]);
        }

        foreach (var connector in doc.Descendants().Where(e => e.Name.LocalName == "Connector"))
        {
            var line = ((IXmlLineInfo)connector).LineNumber;
            var hostConfigs = connector.Elements().Where(e => e.Name.LocalName == "SSLHostConfig").ToList();
            var sslEnabled = string.Equals(Attr(connector, "SSLEnabled"), "true", StringComparison.OrdinalIgnoreCase);
            if (!sslEnabled && hostConfigs.Count == 0)
            {
                continue;
            }

            var portText = Substitute(Attr(connector, "port") ?? "");
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                findings.Add(new ConfigFinding($"TLS connector with port '{portText}' that is not a number", new ConfigLocation(file, line)));
                continue;
            }

            var address = Attr(connector, "address");
            if (hostConfigs.Count == 0)
            {
                // Tomcat 8.5 and older: keystoreFile, keystoreType, keyAlias, keystorePass on the Connector.
                var ks = Attr(connector, "keystoreFile") ?? Attr(connector, "certificateKeystoreFile");
                var keystore = ks is null ? null : new KeystoreInfo(Path(ks, catalinaBase), Attr(connector, "keystoreType") ?? "JKS", Attr(connector, "keyAlias"), Attr(connector, "keystorePass") is not null);
                endpoints.Add(new TlsEndpoint(port, address, [], Attr(connector, "SSLCertificateFile") is { } cf ? Path(cf, catalinaBase) : null,
                    Attr(connector, "SSLCertificateKeyFile") is { } kf ? Path(kf, catalinaBase) : null, null, new ConfigLocation(file, line), null, keystore));
                continue;
            }

            foreach (var hostConfig in hostConfigs)
            {
                var hostName = Attr(hostConfig, "hostName") ?? "_default_";
                var names = hostName == "_default_" ? new List<string>() : [hostName];
                var certificates = hostConfig.Elements().Where(e => e.Name.LocalName == "Certificate").ToList();
                if (certificates.Count == 0)
                {
                    findings.Add(new ConfigFinding("SSLHostConfig without a Certificate", new ConfigLocation(file, ((IXmlLineInfo)hostConfig).LineNumber)));
                    continue;
                }

                foreach (var cert in certificates)
                {
                    var certLine = ((IXmlLineInfo)cert).LineNumber;
                    var ks = Attr(cert, "certificateKeystoreFile");
                    var keystore = ks is null ? null : new KeystoreInfo(Path(ks, catalinaBase),
                        Attr(cert, "certificateKeystoreType") ?? Attr(hostConfig, "truststoreType") ?? "JKS",
                        Attr(cert, "certificateKeyAlias"), Attr(cert, "certificateKeystorePassword") is not null || Attr(cert, "certificateKeystorePasswordFile") is not null);
                    var pem = Attr(cert, "certificateFile");
                    if (keystore is null && pem is null)
                    {
                        findings.Add(new ConfigFinding("Certificate without certificateKeystoreFile or certificateFile", new ConfigLocation(file, certLine)));
                    }

                    endpoints.Add(new TlsEndpoint(port, address, names,
                        pem is null ? null : Path(pem, catalinaBase),
                        Attr(cert, "certificateKeyFile") is { } k ? Path(k, catalinaBase) : null,
                        Attr(cert, "certificateChainFile") is { } c ? Path(c, catalinaBase) : null,
                        new ConfigLocation(file, line), new ConfigLocation(file, certLine), keystore));
                }
            }
        }

        return new ParsedConfig(endpoints, findings);

        string Substitute(string s) => s;
    }

    private static string? Attr(XElement e, string name) => e.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value;

    /// <summary>Relative paths in server.xml are relative to CATALINA_BASE; ${catalina.base} is expanded.</summary>
    private static string Path(string value, string catalinaBase)
    {
        var v = value.Replace("${catalina.base}", catalinaBase, StringComparison.Ordinal);
        return v.StartsWith('/') ? v : catalinaBase.TrimEnd('/') + "/" + v;
    }
}
