using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Certfleet.Lab;
using Certfleet.OvhSimulator;

namespace Certfleet.DemoLab;

/// <summary>
/// Runs the demo's lab until SIGTERM: BIND for lab.test, the OVH API simulator publishing into it,
/// Pebble validating through it, and the lab's web-server hosts (a lab of its own, beside the test suite's:
/// namespaces cfd-NAME at 10.79.0.x). The share (DIR/export) is mounted read-only into rocky9 and ubuntu24, and
/// every web server is pointed at the files certfleet will deploy, as an operator would. Writes certfleet.yaml for it.
/// </summary>
internal static class Program
{
    private const string AppKey = "demoAppKey012345";
    private const string AppSecret = "demoAppSecretAbCdEfGhIjKlMnOpQrSt";
    private const string ConsumerKey = "demoConsumerKeyValidated00000000";
    private static readonly string[] Zones = ["lab.test", "example.test"];
    private static readonly (string Host, string MountPoint)[] Shares = [("rocky9", "/etc/httpd/certfleet-share"), ("ubuntu24", "/etc/apache2/certfleet-share")];

    public static async Task<int> Main(string[] args)
    {
        var dir = args.Length >= 2 && args[0] == "--dir" ? args[1] : "/var/lib/certfleet-demo";
        Directory.CreateDirectory(dir);
        var ready = Path.Combine(dir, "lab.ready");
        File.Delete(ready);
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        await using var bind = await BindServer.StartAsync(new BindServerOptions { Zones = Zones, LimitedKeyZones = [] });
        var keyFile = Path.Combine(dir, "tsig.key");
        WriteSecret(keyFile, $"key \"{bind.TsigKeyName}\" {{ algorithm {bind.TsigAlgorithm}; secret \"{bind.TsigSecretBase64}\"; }};\n");
        await using var sim = new OvhSimulator.OvhSimulator(new SimulatorOptions
        {
            BindServer = bind.Endpoint,
            TsigKeyFile = keyFile,
            PublicationDelay = TimeSpan.FromSeconds(3),
            Applications = [new SimApplication(AppKey, AppSecret, [new SimConsumerKey(ConsumerKey, "validated", [new("GET", "/*"), new("POST", "/*"), new("DELETE", "/*")])])],
            Zones = [.. Zones.Select(z => new SimZone(z))],
        });
        await sim.StartAsync();
        await using var pebble = await PebbleServer.StartAsync(new PebbleOptions { DnsServer = bind.Endpoint, NonceRejectPercent = 5 });
        Environment.SetEnvironmentVariable("CERTFLEET_LAB_DIR", Environment.GetEnvironmentVariable("CERTFLEET_LAB_DIR") ?? Path.Combine(dir, "lab"));
        Environment.SetEnvironmentVariable("CERTFLEET_LAB_PREFIX", Environment.GetEnvironmentVariable("CERTFLEET_LAB_PREFIX") ?? "cfd");
        Environment.SetEnvironmentVariable("CERTFLEET_LAB_NET", Environment.GetEnvironmentVariable("CERTFLEET_LAB_NET") ?? "10.79");
        await using var hosts = new LabHosts();
        var export = Path.Combine(dir, "export");
        Directory.CreateDirectory(export);
        foreach (var (host, mount) in Shares)
        {
            hosts.RunScript("share-mount.sh", host, export, mount);
        }

        var keystorePassword = Path.Combine(dir, "tomcat-keystore-password");
        if (!File.Exists(keystorePassword))
        {
            WriteSecret(keystorePassword, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) + "\n");
        }

        PointWebServersAtDeployedFiles(hosts, File.ReadAllText(keystorePassword).Trim());

        File.WriteAllText(Path.Combine(dir, "pebble-tls.pem"), pebble.TlsRootPem);
        File.WriteAllText(Path.Combine(dir, "pebble-root.pem"), await pebble.GetRootPemAsync());
        WriteSecret(Path.Combine(dir, "ovh-application-secret"), AppSecret + "\n");
        WriteSecret(Path.Combine(dir, "ovh-consumer-key"), ConsumerKey + "\n");
        File.WriteAllText(Path.Combine(dir, "certfleet.yaml"), Config(dir, bind, sim, pebble, hosts));
        File.WriteAllText(Path.Combine(dir, "lab.env"), $"""
            PEBBLE_DIRECTORY={pebble.DirectoryUri}
            PEBBLE_MANAGEMENT={pebble.ManagementUri}
            BIND={bind.Endpoint}
            OVH_ENDPOINT={sim.BaseUrl}
            LAB_DIR={hosts.StateDir}

            """);
        File.WriteAllText(ready, Environment.ProcessId + "\n");
        Console.WriteLine($"demo lab ready: {dir}/certfleet.yaml");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        File.Delete(ready);
        Console.WriteLine("demo lab stopping");
        foreach (var (host, mount) in Shares)
        {
            hosts.RunScript("share-umount.sh", host, mount);
        }

        return 0;
    }

    /// <summary>
    /// Points each lab web server at the files the deploy targets below place (certificates.lab.deploy): what an
    /// operator does once. The servers keep serving their self-signed certificates until the first deploy reloads them.
    /// </summary>
    private static void PointWebServersAtDeployedFiles(LabHosts hosts, string keystorePassword)
    {
        foreach (var (host, path, replacements) in LabHosts.DeployedFilesEdits("lab", keystorePassword))
        {
            // In place: the host sees the file through a bind mount of its directory.
            var local = hosts.HostPath(host, path);
            var text = File.ReadAllText(local);
            foreach (var (from, to) in replacements)
            {
                text = text.Replace(from, to, StringComparison.Ordinal);
            }

            File.WriteAllText(local, text);
        }
    }

    private static void WriteSecret(string path, string content)
    {
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        stream.Write(Encoding.UTF8.GetBytes(content));
    }

    private static string Config(string dir, BindServer bind, OvhSimulator.OvhSimulator sim, PebbleServer pebble, LabHosts hosts)
    {
        // The hosts that answer; 'down' and 'rekey' exist to show failures in the tests, not in the demo.
        var demoHosts = hosts.Hosts.Where(h => h.Name is not ("down" or "rekey")).ToList();
        var sb = new StringBuilder();
        sb.Append($"""
            # certfleet.yaml for the local demo lab (written by Certfleet.DemoLab).
            stateDir: {dir}/state
            acme:
              directory: {pebble.DirectoryUri}
              email: ops@lab.test
              caBundle: {dir}/pebble-tls.pem
            dns:
              propagation:
                timeout: 2m
                interval: 500ms
                # The lab's BIND plays OVH's authoritative nameservers.
                nameservers: ["{bind.Endpoint}"]
              providers:
                ovh:
                  type: ovh
                  endpoint: {sim.BaseUrl}
                  applicationKey: {AppKey}
                  applicationSecret: file:{dir}/ovh-application-secret
                  consumerKey: file:{dir}/ovh-consumer-key
            certificates:
              lab:
                domains: [lab.test, "*.lab.test"{string.Concat(demoHosts.Select(h => $", \"*.{h.Name}.lab.test\""))}]
                dnsProvider: ovh
                deploy:
                  - to: [debian12]
                    method: push
                    path: /etc/nginx/certfleet
                  - to: [rocky9]
                    method: share
                    path: /etc/httpd/certfleet-share
                  - to: [ubuntu24]
                    method: share
                    path: /etc/apache2/certfleet-share
                  - to: [tomcat]
                    method: push
                    path: /var/lib/tomcat10/certfleet
                    tomcat:
                      keystore: pkcs12
                      password: "file:{dir}/tomcat-keystore-password"
                      alias: certfleet
            share:
              exportPath: {dir}/export
            rollout:
              canary: 1
              batch: 10
              parallelism: 4
            hosts:

            """);
        foreach (var h in demoHosts)
        {
            sb.Append($"  {h.Name}: {{ address: {h.Address}, port: {h.Port}, user: {h.User}, identityFile: {h.IdentityFile} }}\n");
        }

        sb.Append($"""
            groups:
              web: [{string.Join(", ", demoHosts.Select(h => h.Name))}]
            ssh:
              knownHosts: {hosts.KnownHostsFile}

            """);
        return sb.ToString();
    }
}
