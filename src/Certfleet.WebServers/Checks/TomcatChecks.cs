using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using System.Xml.Linq;
using Certfleet.Remote;

namespace Certfleet.WebServers.Checks;

/// <summary>What opening a Tomcat keystore gave: the certificate with the key under the alias, or why not.</summary>
internal sealed record KeystoreOpen(X509Certificate2[]? Chain, CheckSeverity? Severity, string? Code, string? Message, string? Fix);

/// <summary>server.xml and keystore checks for Tomcat; the keystore is opened on the controller, its password never leaves memory.</summary>
internal static class TomcatChecks
{
    private const long MaxKeystoreBytes = 1024 * 1024;

    // Connector attributes of Tomcat 9/10 (HTTP and AJP) and the TLS ones of 8.5; others are ignored by Tomcat with a warning.
    private static readonly HashSet<string> KnownConnectorAttributes = new(StringComparer.Ordinal)
    {
        "port", "protocol", "address", "SSLEnabled", "scheme", "secure", "maxThreads", "minSpareThreads", "connectionTimeout", "redirectPort",
        "executor", "maxParameterCount", "URIEncoding", "compression", "compressibleMimeType", "compressionMinSize", "keepAliveTimeout",
        "maxKeepAliveRequests", "maxConnections", "acceptCount", "enableLookups", "maxHttpHeaderSize", "maxHttpRequestHeaderSize",
        "maxHttpResponseHeaderSize", "server", "proxyName", "proxyPort", "useBodyEncodingForURI", "sslImplementationName",
        "defaultSSLHostConfigName", "xpoweredBy", "allowTrace", "asyncTimeout", "maxPostSize", "maxSavePostSize", "maxSwallowSize",
        "relaxedPathChars", "relaxedQueryChars", "secretRequired", "secret", "processorCache", "tcpNoDelay", "clientAuth", "sslProtocol",
        "keystoreFile", "keystorePass", "keystoreType", "keyAlias", "keyPass", "truststoreFile", "truststorePass", "truststoreType", "ciphers",
        "sslEnabledProtocols", "SSLCertificateFile", "SSLCertificateKeyFile", "SSLPassword", "SSLProtocol", "SSLCipherSuite",
        "connectionUploadTimeout", "disableUploadTimeout", "noCompressionUserAgents", "restrictedUserAgents", "parseBodyMethods",
        "rejectIllegalHeader", "allowedTrailerHeaders", "useSendfile", "pollerThreadCount", "acceptorThreadCount", "selectorTimeout",
        "useAsyncIO", "bindOnInit", "threadPriority", "encodedSolidusHandling", "continueResponseTiming", "maxTrailerSize", "maxExtensionSize",
        "maxCookieCount", "discardFacades", "enforceEncodingInGetWriter", "useIPVHosts", "packetSize", "tomcatAuthentication",
        "tomcatAuthorization", "allowedRequestAttributesPattern", "ajpFlush", "upgradeAsyncWriteBufferSize", "maxQueueSize",
        "connectionLinger", "socketBuffer", "throwOnFailure", "rejectSuspiciousURIs", "allowPostAsGet", "certificateKeystoreFile",
        "certificateKeystorePassword", "certificateKeyAlias", "certificateKeystoreType",
    };

    public static async Task<ConfigTestResult> TestAsync(IRemoteHost host, WebServerInfo server, CancellationToken cancellationToken)
    {
        var sink = new FindingSink(host.Name, server.Service);
        await AnalyzeAsync(host, server, sink, null, cancellationToken);
        var error = sink.Items.FirstOrDefault(f => f.Severity == CheckSeverity.Error);
        return new ConfigTestResult(server.Service, error is null, "server.xml parse and keystore open", error?.Message, error?.Location,
            string.Join('\n', sink.Items.Select(f => f.ToString())));
    }

    /// <summary>
    /// Parses server.xml (well-formed, known connector attributes) and opens each keystore; the chains opened are
    /// returned by the line of their Certificate element (or Connector for Tomcat 8.5 attributes).
    /// </summary>
    public static async Task AnalyzeAsync(IRemoteHost host, WebServerInfo server, FindingSink sink, Dictionary<int, KeystoreOpen>? opened, CancellationToken cancellationToken)
    {
        var file = server.ConfigRoot.TrimEnd('/') + "/conf/server.xml";
        var read = await new RemoteFileSource(host).ReadAsync(file, ConfigLimits.MaxFileBytes, cancellationToken);
        if (read.Text is null)
        {
            sink.Error("tomcat-server-xml", new ConfigLocation(file, 1), read.Problem ?? $"cannot read {file}", "make server.xml readable (sudo for the SSH user) and present");
            return;
        }

        XDocument doc;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, MaxCharactersInDocument = ConfigLimits.MaxFileBytes * 2 };
            using var reader = XmlReader.Create(new StringReader(read.Text), settings);
            doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            sink.Error("syntax", new ConfigLocation(file, e.LineNumber), $"server.xml is not well-formed XML: {e.Message}", "fix the XML at that line; Tomcat will not start with it");
            return;
        }

        foreach (var connector in doc.Descendants().Where(e => e.Name.LocalName == "Connector"))
        {
            var at = new ConfigLocation(file, ((IXmlLineInfo)connector).LineNumber);
            foreach (var attribute in connector.Attributes().Where(a => !a.IsNamespaceDeclaration && !KnownConnectorAttributes.Contains(a.Name.LocalName) && !a.Name.LocalName.StartsWith("socket.", StringComparison.Ordinal)))
            {
                sink.Warning("tomcat-unknown-attribute", at, $"Connector attribute '{attribute.Name.LocalName}' is not one Tomcat knows; it is ignored", "check its spelling against the Tomcat HTTP connector reference");
            }

            var legacy = Attr(connector, "keystoreFile");
            if (legacy is not null)
            {
                var result = await OpenAsync(host, Resolve(legacy, server.ConfigRoot), Attr(connector, "keystoreType") ?? "JKS", Attr(connector, "keystorePass") ?? "changeit", Attr(connector, "keyAlias"), cancellationToken);
                Report(sink, at, result, opened, at.Line);
            }

            foreach (var cert in connector.Descendants().Where(e => e.Name.LocalName == "Certificate"))
            {
                var certAt = new ConfigLocation(file, ((IXmlLineInfo)cert).LineNumber);
                if (Attr(cert, "certificateKeystoreFile") is not { } keystore)
                {
                    continue;
                }

                var password = Attr(cert, "certificateKeystorePassword");
                if (password is null && Attr(cert, "certificateKeystorePasswordFile") is { } passwordFile)
                {
                    var (bytes, problem) = await RemoteProbes.ReadBytesAsync(host, Resolve(passwordFile, server.ConfigRoot), 4096, cancellationToken);
                    if (bytes is null)
                    {
                        sink.Error("keystore-password-file", certAt, $"certificateKeystorePasswordFile: {problem}", "create the password file, readable by Tomcat's user");
                        continue;
                    }

                    password = System.Text.Encoding.UTF8.GetString(bytes).TrimEnd('\r', '\n');
                }

                var result = await OpenAsync(host, Resolve(keystore, server.ConfigRoot), Attr(cert, "certificateKeystoreType") ?? "JKS", password ?? "changeit", Attr(cert, "certificateKeyAlias"), cancellationToken);
                Report(sink, certAt, result, opened, certAt.Line);
            }
        }
    }

    private static void Report(FindingSink sink, ConfigLocation at, KeystoreOpen result, Dictionary<int, KeystoreOpen>? opened, int line)
    {
        opened?.TryAdd(line, result);
        if (result.Message is null)
        {
            return;
        }

        switch (result.Severity)
        {
            case CheckSeverity.Error: sink.Error(result.Code!, at, result.Message, result.Fix!); break;
            case CheckSeverity.Warning: sink.Warning(result.Code!, at, result.Message, result.Fix!); break;
            default: sink.Info(result.Code!, at, result.Message, result.Fix!); break;
        }
    }

    private static async Task<KeystoreOpen> OpenAsync(IRemoteHost host, string path, string type, string password, string? alias, CancellationToken cancellationToken)
    {
        var (bytes, problem) = await RemoteProbes.ReadBytesAsync(host, path, MaxKeystoreBytes, cancellationToken);
        if (bytes is null)
        {
            return new KeystoreOpen(null, CheckSeverity.Error, "keystore-missing", $"keystore: {problem}", "point certificateKeystoreFile at the keystore, or create it");
        }

        if (bytes.Length >= 4 && bytes[0] == 0xFE && bytes[1] == 0xED && bytes[2] == 0xFE && bytes[3] == 0xED)
        {
            return new KeystoreOpen(null, CheckSeverity.Info, "keystore-jks", $"{path} is a JKS keystore, which certfleet does not open; its password and alias were not checked",
                "convert it: keytool -importkeystore -srckeystore FILE -destkeystore FILE.p12 -deststoretype PKCS12, and set certificateKeystoreType=\"PKCS12\"");
        }

        if (!type.Equals("PKCS12", StringComparison.OrdinalIgnoreCase))
        {
            return new KeystoreOpen(null, CheckSeverity.Warning, "keystore-type", $"{path} is PKCS#12 but certificateKeystoreType is '{type}'", "set certificateKeystoreType=\"PKCS12\"");
        }

        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException)
        {
            // The message says nothing about the password itself.
            return new KeystoreOpen(null, CheckSeverity.Error, "keystore-password", $"keystore {path} does not open with the configured password (or is damaged)",
                "set certificateKeystorePassword to the keystore's password, or re-export the keystore with the configured one");
        }

        var withKey = collection.Where(c => c.HasPrivateKey).ToList();
        if (withKey.Count == 0)
        {
            return new KeystoreOpen(null, CheckSeverity.Error, "keystore-no-key", $"keystore {path} holds no private key", "export the certificate together with its private key into the keystore");
        }

        var leaf = withKey[0];
        var chain = new List<X509Certificate2> { leaf };
        var rest = collection.Where(c => !ReferenceEquals(c, leaf)).ToList();
        for (var current = leaf; rest.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && !CertificateAnalysis.IsSelfIssued(current)) is { } issuer; current = issuer)
        {
            chain.Add(issuer);
            rest.Remove(issuer);
        }

        if (alias is not null)
        {
            var aliases = Pkcs12Aliases.Read(bytes);
            if (aliases is not null && aliases.Count > 0 && !aliases.Contains(alias, StringComparer.OrdinalIgnoreCase))
            {
                return new KeystoreOpen([.. chain], CheckSeverity.Error, "keystore-alias", $"keystore {path} has no entry '{alias}' (it holds: {string.Join(", ", aliases)})",
                    "set certificateKeyAlias to one of the aliases listed, or re-export with -name ALIAS");
            }
        }

        return new KeystoreOpen([.. chain], null, null, null, null);
    }

    private static string Resolve(string value, string catalinaBase)
    {
        var v = value.Replace("${catalina.base}", catalinaBase, StringComparison.Ordinal);
        return v.StartsWith('/') ? v : catalinaBase.TrimEnd('/') + "/" + v;
    }

    private static string? Attr(XElement e, string name) => e.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value;
}
