using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Certfleet.Bench;
using Certfleet.Store;

// certfleet-bench generate-store --state DIR --config FILE [--count N] [--versions V] [--history H]
// Writes N lineages through CertificateStore (the real layout: archive versions, live links, meta.json),
// H history entries through HistoryStore, and a certfleet.yaml that configures every lineage.
// certfleet-bench read-store --state DIR [--runs R]
// Times the store's bulk read of every lineage in-process (no start-up, no configuration), with allocations.
if (args is ["read-store", ..])
{
    return await StoreReader.RunAsync(args.AsSpan(1).ToArray(), CancellationToken.None);
}

if (args.Length == 0 || args[0] != "generate-store")
{
    await Console.Error.WriteLineAsync("usage: Certfleet.Bench generate-store --state DIR --config FILE [--count 10000] [--versions 1] [--history 10000]\n       Certfleet.Bench read-store --state DIR [--runs 3]");
    return 2;
}

var options = GeneratorOptions.Parse(args.AsSpan(1));
var watch = System.Diagnostics.Stopwatch.StartNew();
await StoreGenerator.RunAsync(options, CancellationToken.None);
await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
    $"bench: {options.Count} lineages x {options.Versions} versions, {options.History} history entries in {watch.Elapsed.TotalSeconds:F1} s"));
return 0;

namespace Certfleet.Bench
{
    internal sealed record GeneratorOptions(string StateDir, string ConfigPath, int Count, int Versions, int History)
    {
        public static GeneratorOptions Parse(ReadOnlySpan<string> args)
        {
            string? state = null, config = null;
            int count = 10_000, versions = 1, history = 10_000;
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"bench: {args[i]} needs a value");
                switch (args[i])
                {
                    case "--state": state = value; break;
                    case "--config": config = value; break;
                    case "--count": count = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--versions": versions = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--history": history = int.Parse(value, CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"bench: unknown option {args[i]}");
                }

                i++;
            }

            return new GeneratorOptions(
                state ?? throw new ArgumentException("bench: --state is required"),
                config ?? throw new ArgumentException("bench: --config is required"),
                count, versions, history);
        }
    }

    internal static class StoreReader
    {
        public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            var state = args.SkipWhile(a => a != "--state").Skip(1).FirstOrDefault() ?? throw new ArgumentException("bench: --state is required");
            var runs = int.Parse(args.SkipWhile(a => a != "--runs").Skip(1).FirstOrDefault() ?? "3", CultureInfo.InvariantCulture);
            var store = new CertificateStore(state);
            for (var run = 0; run < runs; run++)
            {
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var collections = GC.CollectionCount(0);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var names = await store.ListLineagesAsync(cancellationToken);
                var listed = watch.Elapsed;
                var snapshots = await store.ReadLineagesAsync(names, cancellationToken);
                var read = watch.Elapsed - listed;
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"bench: run {run}: {names.Count} lineages ({snapshots.Count(s => s.Current is not null)} with a certificate): list {listed.TotalMilliseconds:F0} ms, read {read.TotalMilliseconds:F0} ms, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0:F1} MB allocated, {GC.CollectionCount(0) - collections} gen0 GCs, CPU {Environment.CpuUsage.TotalTime.TotalSeconds:F2} s so far"));
            }

            return 0;
        }
    }

    internal static class StoreGenerator
    {
        public static async Task RunAsync(GeneratorOptions options, CancellationToken cancellationToken)
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=certfleet bench CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(now.AddDays(-400), now.AddDays(400));
            var caPem = ca.ExportCertificatePem() + "\n";

            var store = new CertificateStore(options.StateDir);
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    var name = Name(i);
                    // Ages spread over a 90-day lifetime so that some lineages are due for renewal.
                    var issued = now.AddDays(-(i % 89)).AddMinutes(-(i % 1440));
                    for (var v = 0; v < options.Versions; v++)
                    {
                        var notBefore = issued.AddDays(-60 * (options.Versions - 1 - v));
                        await store.SaveAsync(name, Leaf(ca, caPem, name, notBefore, i), ct);
                    }
                });

            await WriteHistoryAsync(options, now, cancellationToken);
            await File.WriteAllTextAsync(options.ConfigPath, Config(options), cancellationToken);
        }

        private static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"site{i:D5}");

        private static CertificateBundle Leaf(X509Certificate2 ca, string caPem, string name, DateTimeOffset notBefore, int i)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}.example.test", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName($"{name}.example.test");
            san.AddDnsName($"*.{name}.example.test");
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            var serial = BitConverter.GetBytes((long)i * 7919 + notBefore.ToUnixTimeSeconds());
            serial[^1] &= 0x7f;
            using var leaf = request.Create(ca, notBefore, notBefore.AddDays(90), serial);
            var certPem = leaf.ExportCertificatePem() + "\n";
            return new CertificateBundle(certPem, caPem, certPem + caPem, key.ExportPkcs8PrivateKeyPem() + "\n", new CertificateMetadata());
        }

        private static async Task WriteHistoryAsync(GeneratorOptions options, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (options.History <= 0)
            {
                return;
            }

            var history = new HistoryStore(options.StateDir, HistoryStore.DefaultRetention);
            for (var n = 0; n < options.History; n++)
            {
                var i = n % options.Count;
                var kind = (n / options.Count % 2) == 0 ? HistoryKind.Issued : HistoryKind.Order;
                var entry = new HistoryEntry(now.AddDays(-(i % 89)).AddSeconds(-n), Name(i), kind, "ok")
                {
                    Names = [$"{Name(i)}.example.test", $"*.{Name(i)}.example.test"],
                };
                await history.AddAsync(entry, cancellationToken);
            }
        }

        private static string Config(GeneratorOptions options)
        {
            var yaml = new StringBuilder();
            yaml.Append(CultureInfo.InvariantCulture, $"""
                stateDir: {options.StateDir}
                acme:
                  directory: https://127.0.0.1:14000/dir
                  email: ops@example.test
                dns:
                  providers:
                    lab:
                      type: rfc2136
                      server: 127.0.0.1:53
                      tsigKeyName: certfleet-bench
                      tsigAlgorithm: hmac-sha256
                      tsigSecret: env:BENCH_TSIG_SECRET
                certificates:

                """);
            for (var i = 0; i < options.Count; i++)
            {
                var name = Name(i);
                yaml.Append(CultureInfo.InvariantCulture, $"  {name}:\n    domains: [{name}.example.test, \"*.{name}.example.test\"]\n    dnsProvider: lab\n");
            }

            return yaml.ToString();
        }
    }
}
