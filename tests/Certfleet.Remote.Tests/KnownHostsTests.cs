using System.Diagnostics;

namespace Certfleet.Remote.Tests;

public sealed class KnownHostsTests
{
    private static (string Type, byte[] Key, string Dir) NewKey()
    {
        var dir = Directory.CreateTempSubdirectory("cf-kh-").FullName;
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "k"));
        var fields = File.ReadAllText(Path.Combine(dir, "k.pub")).Split(' ');
        return (fields[0], Convert.FromBase64String(fields[1]), dir);
    }

    private static string Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }

    [Fact]
    public void Hashed_entries_written_by_ssh_keygen_match_their_host_and_port()
    {
        var (type, key, dir) = NewKey();
        try
        {
            var file = Path.Combine(dir, "known_hosts");
            File.WriteAllText(file, $"web1.example.com {type} {Convert.ToBase64String(key)}\n[10.0.0.5]:2222 {type} {Convert.ToBase64String(key)}\n");
            Run("ssh-keygen", "-q", "-H", "-f", file);
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("web1", text, StringComparison.Ordinal);
            var kh = KnownHosts.Parse(text);
            Assert.All(kh.Entries, e => Assert.StartsWith("|1|", e.Patterns, StringComparison.Ordinal));
            Assert.Equal(HostKeyStatus.Trusted, kh.Check("web1.example.com", 22, key).Status);
            Assert.Equal(HostKeyStatus.Trusted, kh.Check("10.0.0.5", 2222, key).Status);
            Assert.Equal(HostKeyStatus.Unknown, kh.Check("10.0.0.5", 22, key).Status);
            Assert.Equal(HostKeyStatus.Unknown, kh.Check("web2.example.com", 22, key).Status);

            // Our own hashing reproduces ssh-keygen's for the same salt.
            var salt = Convert.FromBase64String(kh.Entries[0].Patterns.Split('|')[2]);
            Assert.Equal(kh.Entries[0].Patterns, KnownHosts.Hash("web1.example.com", salt));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Fingerprint_matches_ssh_keygen()
    {
        var (_, key, dir) = NewKey();
        try
        {
            var line = Run("ssh-keygen", "-l", "-E", "sha256", "-f", Path.Combine(dir, "k.pub"));
            Assert.Equal(line.Split(' ')[1], KnownHosts.Fingerprint(key));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Changed_revoked_wildcard_and_negated_entries()
    {
        var (type, key, dir) = NewKey();
        var (_, other, dir2) = NewKey();
        Directory.Delete(dir, true);
        Directory.Delete(dir2, true);
        var b64 = Convert.ToBase64String(key);
        var text = $"""
            # comment
            *.example.com,!bad.example.com {type} {b64}
            a.test,10.1.1.1 {type} {Convert.ToBase64String(other)}
            @revoked old.test {type} {b64}
            @cert-authority *.ca.test {type} {b64}
            broken line
            """;
        var kh = KnownHosts.Parse(text);
        Assert.Equal(HostKeyStatus.Trusted, kh.Check("web.example.com", 22, key).Status);
        Assert.Equal(HostKeyStatus.Unknown, kh.Check("bad.example.com", 22, key).Status);
        var changed = kh.Check("10.1.1.1", 22, key);
        Assert.Equal(HostKeyStatus.Changed, changed.Status);
        Assert.Equal(3, changed.Recorded!.Line);
        Assert.Equal(HostKeyStatus.Revoked, kh.Check("old.test", 22, key).Status);
        Assert.Equal(HostKeyStatus.Unknown, kh.Check("x.ca.test", 22, key).Status);
        Assert.Equal("ssh-ed25519", KnownHosts.KeyTypeOf(key));
    }

    [Fact]
    public void Record_replaces_the_lines_of_that_host_only_and_writes_0600()
    {
        var (type, key, dir) = NewKey();
        try
        {
            var file = Path.Combine(dir, "known_hosts");
            File.WriteAllText(file, $"[h.test]:2200 {type} AAAAC3NzaC1lZDI1NTE5AAAAIB5Wq2l+IaV2cD9E2Gg0r0mwk5ETRwRCb0HjBhx7GcUn\nother.test {type} AAAAC3NzaC1lZDI1NTE5AAAAIB5Wq2l+IaV2cD9E2Gg0r0mwk5ETRwRCb0HjBhx7GcUn\n");
            KnownHosts.Record(file, "h.test", 2200, key);
            var kh = KnownHosts.Load(file);
            Assert.Equal(2, kh.Entries.Count);
            Assert.Equal(HostKeyStatus.Trusted, kh.Check("h.test", 2200, key).Status);
            Assert.Equal(HostKeyStatus.Changed, kh.Check("other.test", 22, key).Status);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
