using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Certfleet.Configuration;

namespace Certfleet.Deployment.Tests;

public sealed class PackageTests
{
    [Fact]
    public void Manifest_names_the_serial_expiry_and_the_hash_of_every_file()
    {
        var bundle = TestCertificates.Bundle();
        var package = DeployPackage.Create("example", bundle, null);
        using var leaf = X509Certificate2.CreateFromPem(bundle.CertificatePem);
        var serial = Convert.ToHexString(leaf.SerialNumberBytes.Span);

        Assert.Equal(serial, package.Serial);
        Assert.Equal(serial, package.Manifest.Serial);
        Assert.Equal(leaf.NotAfter.ToUniversalTime(), package.Manifest.NotAfter.UtcDateTime);
        Assert.Equal(["cert.pem", "chain.pem", "fullchain.pem", "manifest.json", "privkey.pem"], package.Files.Select(f => f.Name).Order());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(bundle.PrivateKeyPem))), package.Manifest.Sha256["privkey.pem"]);
        Assert.Equal((UnixFileMode)0b110_100_000, package.Files.Single(f => f.Name == "privkey.pem").Mode);
        Assert.Equal((UnixFileMode)0b110_100_100, package.Files.Single(f => f.Name == "fullchain.pem").Mode);

        var parsed = DeployManifest.Parse(package.Files.Single(f => f.Name == "manifest.json").Content)!;
        Assert.Equal(package.Manifest.Serial, parsed.Serial);
        Assert.Equal(package.Manifest.Sha256.OrderBy(k => k.Key), parsed.Sha256.OrderBy(k => k.Key));
        Assert.DoesNotContain("PRIVATE", Encoding.UTF8.GetString(package.Files.Single(f => f.Name == "manifest.json").Content), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_finds_a_changed_or_missing_file()
    {
        var package = DeployPackage.Create("example", TestCertificates.Bundle(), null);
        var files = package.Files.Where(f => f.Name != "manifest.json").ToDictionary(f => f.Name, f => f.Content);
        Assert.Empty(DeployPackage.Verify(package.Manifest, files));

        files["fullchain.pem"] = [.. files["fullchain.pem"], (byte)'\n'];
        files.Remove("chain.pem");
        Assert.Equal(["chain.pem", "fullchain.pem"], DeployPackage.Verify(package.Manifest, files));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pkcs12_opens_with_the_password_and_holds_key_leaf_and_chain(bool rsa)
    {
        var bundle = TestCertificates.Bundle(rsa: rsa);
        var package = DeployPackage.Create("example", bundle, new TomcatOptions("pkcs12", new Secret("s3cret pw", "test"), "certfleet"));
        var p12 = package.Files.Single(f => f.Name == "keystore.p12");
        Assert.Equal((UnixFileMode)0b110_100_000, p12.Mode);

        var collection = X509CertificateLoader.LoadPkcs12Collection(p12.Content, "s3cret pw");
        Assert.Equal(2, collection.Count);
        var leaf = Assert.Single(collection, c => c.HasPrivateKey);
        Assert.Equal(package.Serial, Convert.ToHexString(leaf.SerialNumberBytes.Span));
        using (var pub = X509Certificate2.CreateFromPem(bundle.CertificatePem))
        {
            Assert.Equal(pub.RawData, leaf.RawData);
        }

        // The key in the file is the one of the bundle: sign with it, verify with the certificate.
        var data = "probe"u8.ToArray();
        if (rsa)
        {
            var sig = leaf.GetRSAPrivateKey()!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            Assert.True(leaf.GetRSAPublicKey()!.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
        else
        {
            var sig = leaf.GetECDsaPrivateKey()!.SignData(data, HashAlgorithmName.SHA256);
            Assert.True(leaf.GetECDsaPublicKey()!.VerifyData(data, sig, HashAlgorithmName.SHA256));
        }

        Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12Collection(p12.Content, "wrong"));
        Assert.True(p12.Content.AsSpan().IndexOf("s3cret"u8) < 0, "the password is not in the file");
    }

    [Fact]
    public async Task Pkcs12_uses_aes256_pbkdf2_sha256_and_a_sha256_mac_and_the_alias_as_friendly_name()
    {
        var bundle = TestCertificates.Bundle();
        var bytes = Pkcs12Writer.Write(bundle.CertificatePem, bundle.ChainPem, bundle.PrivateKeyPem, "changeit2", "certfleet");
        var file = Path.Combine(Path.GetTempPath(), $"cf-p12-{Guid.NewGuid():N}.p12");
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);
        try
        {
            var info = await RunAsync("openssl", ["pkcs12", "-info", "-in", file, "-passin", "env:P12PW", "-nokeys", "-nocerts"], "changeit2");
            Assert.Contains("MAC: sha256", info, StringComparison.Ordinal);
            Assert.Contains("PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256", info, StringComparison.Ordinal);
            Assert.DoesNotContain("RC2", info, StringComparison.Ordinal);
            Assert.DoesNotContain("3DES", info, StringComparison.Ordinal);
            var certs = await RunAsync("openssl", ["pkcs12", "-in", file, "-passin", "env:P12PW", "-nokeys"], "changeit2");
            Assert.Contains("friendlyName: certfleet", certs, StringComparison.Ordinal);

            if (File.Exists("/usr/bin/keytool"))
            {
                var list = await RunAsync("keytool", ["-list", "-storetype", "PKCS12", "-keystore", file, "-storepass:env", "P12PW"], "changeit2");
                Assert.Contains("certfleet, ", list, StringComparison.Ordinal);
                Assert.Contains("PrivateKeyEntry", list, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Pkcs12_mac_key_derivation_matches_the_rfc7292_algorithm_run_by_hand_for_one_iteration()
    {
        // One round of RFC 7292 B.2 with SHA-256 (u=32, v=64): D = 64 × ID, I = S‖P padded to multiples of v, A = H(D‖I).
        var salt = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var pwd = Encoding.BigEndianUnicode.GetBytes("ab\0");
        byte[] Pad(byte[] x) => [.. Enumerable.Range(0, 64).Select(i => x[i % x.Length])];
        var expected = SHA256.HashData([.. Enumerable.Repeat((byte)3, 64), .. Pad(salt), .. Pad(pwd)]);
        Assert.Equal(expected, Pkcs12Writer.Pkcs12Kdf("ab", salt, 3, 1, 32));
        Assert.NotEqual(expected, Pkcs12Writer.Pkcs12Kdf("ab", salt, 3, 2, 32));
    }

    internal static async Task<string> RunAsync(string program, string[] args, string? password = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (password is not null)
        {
            psi.Environment["P12PW"] = password;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{program} failed: {await stderr}");
        return await stdout + await stderr;
    }
}
