namespace Certfleet.Engine;

public sealed record CertificateStatus(
    string Name,
    IReadOnlyList<string> Domains,
    string? Serial,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    string KeyType,
    DateTimeOffset? RenewAfter,
    int? Version,
    string? FullChainPath,
    string? PrivateKeyPath,
    string? LastError,
    int FailureCount,
    DateTimeOffset? BackoffUntil);

/// <summary>What the store holds for each configured certificate. Reads only; never creates files.</summary>
public sealed class StatusService(CertfleetRuntime runtime)
{
    public async Task<IReadOnlyList<CertificateStatus>> GetAsync(CancellationToken cancellationToken)
    {
        var result = new List<CertificateStatus>();
        foreach (var c in runtime.Settings.Certificates)
        {
            var current = Directory.Exists(runtime.Settings.StateDir) ? await runtime.Store.GetCurrentAsync(c.Name, cancellationToken) : null;
            var state = Directory.Exists(runtime.Settings.StateDir) ? await runtime.Store.ReadStateAsync(c.Name, cancellationToken) : null;
            result.Add(new CertificateStatus(
                c.Name,
                c.Domains,
                current?.SerialNumber,
                current?.NotBefore,
                current?.NotAfter,
                current?.KeyType ?? c.KeyType,
                current is null ? null : RenewalPolicy.DefaultRenewAfter(current.NotBefore, current.NotAfter),
                current?.Version,
                current?.LiveFiles.FullChain,
                current?.LiveFiles.PrivateKey,
                state?.LastError,
                state?.FailureCount ?? 0,
                state?.BackoffUntil));
        }

        return result;
    }
}
