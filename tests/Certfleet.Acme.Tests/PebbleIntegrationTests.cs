using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Certfleet.Lab;

namespace Certfleet.Acme.Tests;

/// <summary>The whole client flow against a real Pebble (always-valid challenges, 30 % nonce rejection, one alternate root).</summary>
public sealed class PebbleIntegrationTests
{
    private static readonly AcmeClientOptions FastPolling = new()
    {
        PollInitialDelay = TimeSpan.FromMilliseconds(100),
        PollMaxDelay = TimeSpan.FromMilliseconds(500),
        PollTimeout = TimeSpan.FromSeconds(30),
    };

    private static bool VerifiesAgainst(AcmeCertificateChain chain, string rootPem)
    {
        using var root = X509Certificate2.CreateFromPem(rootPem);
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.CustomTrustStore.Add(root);
        x509.ChainPolicy.ExtraStore.AddRange(chain.Certificates.Skip(1).ToArray());
        return x509.Build(chain.Leaf);
    }

    private static async Task<AcmeOrder> IssueAsync(AcmeClient client, string[] names, AsymmetricAlgorithm certKey, CancellationToken ct)
    {
        var order = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames(names), ct);
        foreach (var authz in await client.GetAuthorizationsAsync(order, ct))
        {
            if (!authz.RequiresChallenge)
            {
                continue;
            }

            var challenge = authz.FindChallenge("dns-01") ?? throw new InvalidOperationException("no dns-01 offered");
            Assert.False(string.IsNullOrEmpty(client.AccountKey.ComputeDns01TxtValue(challenge.Token!)));
            await client.AnswerChallengeAsync(challenge, ct);
            var done = await client.WaitForAuthorizationAsync(authz.Url, ct);
            Assert.Equal(AcmeStatus.Valid, done.Status);
        }

        var ready = await client.WaitForOrderAsync(order.Url, ct);
        Assert.Equal(AcmeStatus.Ready, ready.Status);
        var valid = await client.FinalizeAsync(ready, CsrBuilder.CreateDer(names, certKey), ct);
        Assert.Equal(AcmeStatus.Valid, valid.Status);
        return valid;
    }

    [Fact]
    public async Task Full_flow_from_account_to_revocation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pebble = await PebbleServer.StartAsync(new PebbleOptions
        {
            AlwaysValid = true,
            NonceRejectPercent = 30,
            AlternateRoots = 1,
            AuthzReusePercent = 100,
        }, ct);
        using var http = new HttpClient(AcmeHttpHandlers.CreateHandlerTrusting(pebble.TlsRootPem));
        using var firstKey = AcmeAccountKey.Generate();
        using var rolledKey = AcmeAccountKey.Generate(AcmeKeyType.EcP384);
        var events = new Collector<AcmeEvent>();
        var options = FastPolling with { Progress = events };
        var client = new AcmeClient(pebble.DirectoryUri, firstKey, http, TimeProvider.System, options);

        var directory = await client.GetDirectoryAsync(ct);
        Assert.NotNull(directory.TermsOfService);
        Assert.NotNull(directory.KeyChange);

        Assert.Null(await client.FindAccountAsync(ct));
        var account = await client.CreateAccountAsync(["ops@example.test"], termsOfServiceAgreed: true, cancellationToken: ct);
        Assert.Equal(AcmeStatus.Valid, account.Status);

        var again = new AcmeClient(pebble.DirectoryUri, firstKey, http, TimeProvider.System, options);
        Assert.Equal(account.Url, (await again.FindAccountAsync(ct))!.Url);

        var updated = await client.UpdateContactsAsync(["mailto:other@example.test"], ct);
        Assert.Equal(["mailto:other@example.test"], updated.Contacts);

        await client.ChangeKeyAsync(rolledKey, ct);
        Assert.Equal(AcmeStatus.Valid, (await client.GetAccountAsync(ct)).Status);
        Assert.Null(await new AcmeClient(pebble.DirectoryUri, firstKey, http, TimeProvider.System, options).FindAccountAsync(ct));
        Assert.Equal(account.Url, (await new AcmeClient(pebble.DirectoryUri, rolledKey, http, TimeProvider.System, options).FindAccountAsync(ct))!.Url);

        // Wildcard + apex: two authorizations for one identifier.
        var order = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.test", "*.example.test"), ct);
        var authzs = await client.GetAuthorizationsAsync(order, ct);
        Assert.Equal(2, authzs.Count);
        Assert.All(authzs, a => Assert.Equal("example.test", a.Identifier.Value));
        Assert.Single(authzs, a => a.Wildcard);
        Assert.All(authzs, a => Assert.Equal("_acme-challenge.example.test", a.Dns01RecordName));

        using var certKey = CsrBuilder.GenerateKey();
        var valid = await IssueAsync(client, ["example.test", "*.example.test"], certKey, ct);
        var chain = await client.DownloadCertificateAsync(valid, cancellationToken: ct);
        Assert.Equal(["example.test", "*.example.test"],
            chain.Leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Order(StringComparer.Ordinal).Reverse().ToArray());
        Assert.True(chain.Leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certKey.ExportSubjectPublicKeyInfo()));
        var root0 = await pebble.GetRootPemAsync(0, ct);
        Assert.True(VerifiesAgainst(chain, root0));
        Assert.NotEmpty(chain.AlternateUrls);

        // The alternate hierarchy, selected by its root's CN.
        var root1 = await pebble.GetRootPemAsync(1, ct);
        using (var root1Cert = X509Certificate2.CreateFromPem(root1))
        {
            var preferred = root1Cert.GetNameInfo(X509NameType.SimpleName, false);
            var alternate = await client.DownloadCertificateAsync(valid, preferred, ct);
            Assert.Equal(preferred, alternate.TopIssuerCommonName);
            Assert.NotEqual(chain.TopIssuerCommonName, alternate.TopIssuerCommonName);
            Assert.True(VerifiesAgainst(alternate, root1));
            Assert.False(VerifiesAgainst(alternate, root0));
        }

        await client.RevokeCertificateAsync(chain.Leaf, RevocationReason.Superseded, ct);
        Assert.Contains("Revoked", await pebble.GetCertificateStatusAsync(chain.Leaf.SerialNumber, ct), StringComparison.OrdinalIgnoreCase);

        // Second certificate: the authorizations are reused (valid), then revoked with the certificate's own key.
        var reorder = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.test", "*.example.test"), ct);
        Assert.All(await client.GetAuthorizationsAsync(reorder, ct), a => Assert.False(a.RequiresChallenge));
        using var secondKey = CsrBuilder.GenerateKey(AcmeKeyType.Rsa2048);
        var second = await client.DownloadCertificateAsync(await IssueAsync(client, ["example.test", "*.example.test"], secondKey, ct), cancellationToken: ct);
        Assert.Contains("Valid", await pebble.GetCertificateStatusAsync(second.Leaf.SerialNumber, ct), StringComparison.OrdinalIgnoreCase);
        await client.RevokeCertificateWithKeyAsync(second.Leaf, secondKey, RevocationReason.KeyCompromise, ct);
        Assert.Contains("Revoked", await pebble.GetCertificateStatusAsync(second.Leaf.SerialNumber, ct), StringComparison.OrdinalIgnoreCase);

        var deactivated = await client.DeactivateAccountAsync(ct);
        Assert.Equal(AcmeStatus.Deactivated, deactivated.Status);
        var refused = await Assert.ThrowsAsync<AcmeProblemException>(() => client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("example.test"), ct));
        Assert.StartsWith("acme: ", refused.Message, StringComparison.Ordinal);

        Assert.Contains(events.Items, e => e.Kind == AcmeEventKind.BadNonceRetry);
    }

    [Fact]
    public async Task Csr_with_the_account_key_is_refused_and_pebble_is_untrusted_without_the_helper()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pebble = await PebbleServer.StartAsync(new PebbleOptions { AlwaysValid = true }, ct);
        using (var plain = new HttpClient())
        {
            using var key = AcmeAccountKey.Generate();
            var untrusted = new AcmeClient(pebble.DirectoryUri, key, plain);
            var ex = await Assert.ThrowsAsync<AcmeException>(() => untrusted.GetDirectoryAsync(ct));
            Assert.Contains("TLS trust", ex.Message, StringComparison.Ordinal);
        }

        using var http = pebble.CreateHttpClient();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var accountKey = AcmeAccountKey.ImportPem(ec.ExportPkcs8PrivateKeyPem());
        var client = new AcmeClient(pebble.DirectoryUri, accountKey, http, TimeProvider.System, FastPolling);
        await client.CreateAccountAsync([], true, cancellationToken: ct);
        var order = await client.CreateOrderAsync(AcmeOrderRequest.ForDnsNames("csr.example.test"), ct);
        foreach (var authz in await client.GetAuthorizationsAsync(order, ct))
        {
            await client.AnswerChallengeAsync(authz.FindChallenge()!, ct);
            await client.WaitForAuthorizationAsync(authz.Url, ct);
        }

        var ready = await client.WaitForOrderAsync(order.Url, ct);
        var refused = await Assert.ThrowsAsync<AcmeException>(() => client.FinalizeAsync(ready, CsrBuilder.CreateDer(["csr.example.test"], ec), ct));
        Assert.Contains("account key", refused.Message, StringComparison.Ordinal);
    }
}

/// <summary>External Account Binding against a Pebble that requires it.</summary>
public sealed class PebbleExternalAccountTests
{
    [Fact]
    public async Task Account_creation_needs_a_valid_binding()
    {
        var ct = TestContext.Current.CancellationToken;
        var mac = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using var pebble = await PebbleServer.StartAsync(new PebbleOptions
        {
            NonceRejectPercent = 30,
            ExternalAccountMacKeys = new Dictionary<string, string> { ["kid-1"] = mac },
        }, ct);
        using var http = pebble.CreateHttpClient();
        using var key = AcmeAccountKey.Generate();
        var client = new AcmeClient(pebble.DirectoryUri, key, http);

        Assert.True((await client.GetDirectoryAsync(ct)).ExternalAccountRequired);
        await Assert.ThrowsAsync<AcmeException>(() => client.CreateAccountAsync(["ops@example.test"], true, null, ct));

        var wrong = ExternalAccountBinding.FromBase64Url("kid-1", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));
        var rejected = await Assert.ThrowsAsync<AcmeProblemException>(() => client.CreateAccountAsync(["ops@example.test"], true, wrong, ct));
        Assert.StartsWith("acme: ", rejected.Message, StringComparison.Ordinal);

        var account = await client.CreateAccountAsync(["ops@example.test"], true, ExternalAccountBinding.FromBase64Url("kid-1", mac), ct);
        Assert.Equal(AcmeStatus.Valid, account.Status);
        Assert.NotNull(client.AccountUrl);
    }
}
