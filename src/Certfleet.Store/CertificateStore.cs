using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Certfleet.Store;

/// <summary>
/// Certificate lineages under a state directory, laid out so that certbot-style paths keep working:
/// <code>
/// archive/NAME/0001/{cert,chain,fullchain,privkey}.pem, meta.json   one complete directory per version
/// live/NAME -> ../archive/NAME/0003                                  symlink, switched with rename(2)
/// renewal/NAME.json                                                  renewal bookkeeping
/// </code>
/// Nothing is created until something is written. Writers are expected to hold the <see cref="RunLock"/>.
/// </summary>
public sealed class CertificateStore
{
    // Why live/NAME is one symlink to a version directory rather than certbot's per-file symlinks:
    // certbot swaps cert.pem, privkey.pem... one by one, so a reader in between can pair a new certificate
    // with the old key. Here a version directory is complete and fsynced before it gets its final name, and
    // the switch is a single rename(2) of the live/NAME link, so live/NAME/fullchain.pem and
    // live/NAME/privkey.pem resolve into the same version for any reader that resolves live/NAME once
    // (as a web server reload does). Paths configured for certbot (live/NAME/fullchain.pem) keep working for
    // every reader that follows symlinks. The link is relative so the state directory can be moved or mounted.
    internal const string CertificateFileName = "cert.pem";
    internal const string ChainFileName = "chain.pem";
    internal const string FullChainFileName = "fullchain.pem";
    internal const string PrivateKeyFileName = "privkey.pem";
    internal const string MetadataFileName = "meta.json";

    private const int ReadAttempts = 5;
    private static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(1);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a store over <paramref name="stateDir"/>; touches nothing on disk.</summary>
    public CertificateStore(string stateDir, TimeProvider? time = null, ILogger<CertificateStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDir);
        StateDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDir));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Absolute path of the state directory.</summary>
    public string StateDirectory { get; }

    private string LiveRoot => Path.Combine(StateDirectory, "live");
    private string ArchiveRoot => Path.Combine(StateDirectory, "archive");
    private string RenewalRoot => Path.Combine(StateDirectory, "renewal");

    /// <summary>
    /// Whether <paramref name="name"/> can name a lineage: 1-100 characters of letters, digits, <c>.</c>, <c>-</c>, <c>_</c>,
    /// starting with a letter or digit (so it is one safe path segment).
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 100 || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The stable <c>live/NAME/*.pem</c> paths (no I/O; they exist once a version was saved).</summary>
    public CertificateFiles GetLivePaths(string name)
    {
        ValidateName(name);
        return CertificateFiles.In(Path.Combine(LiveRoot, name));
    }

    /// <summary>
    /// Stores <paramref name="bundle"/> as the next version of <paramref name="name"/> and makes it current.
    /// Validates first that the key belongs to the certificate and the full chain starts with it.
    /// </summary>
    public async Task<StoredCertificate> SaveAsync(string name, CertificateBundle bundle, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(bundle);

        CertificateFacts facts;
        using (X509Certificate2 certificate = CertificateInspector.Load(bundle.CertificatePem, "the certificate"))
        {
            CertificateInspector.EnsureKeyMatches(certificate, bundle.PrivateKeyPem);
            CertificateInspector.EnsureFullChainStartsWith(certificate, bundle.FullChainPem);
            facts = CertificateInspector.Inspect(certificate);
        }

        // Every fact readers need is recorded with the fingerprint that ties it to cert.pem, so they need not parse it.
        CertificateMetadata metadata = CertificateInspector.WithFacts(bundle.Metadata, facts) with
        {
            Name = name,
            Domains = bundle.Metadata.Domains is { Count: > 0 } domains ? domains : facts.DnsNames,
            CreatedAt = bundle.Metadata.CreatedAt == default ? _time.GetUtcNow() : bundle.Metadata.CreatedAt,
        };

        string lineageArchive = Path.Combine(ArchiveRoot, name);
        FileOps.EnsureDirectory(lineageArchive);
        FileOps.EnsureDirectory(LiveRoot);

        // Built under a dot-name no reader looks at, then renamed to its version number in one step.
        string staging = Path.Combine(lineageArchive, ".new-" + Path.GetRandomFileName());
        FileOps.EnsureDirectory(staging);
        int version;
        try
        {
            await FileOps.WriteNewFileAsync(Path.Combine(staging, CertificateFileName), Utf8(bundle.CertificatePem), FileOps.PublicMode, cancellationToken);
            await FileOps.WriteNewFileAsync(Path.Combine(staging, ChainFileName), Utf8(bundle.ChainPem), FileOps.PublicMode, cancellationToken);
            await FileOps.WriteNewFileAsync(Path.Combine(staging, FullChainFileName), Utf8(bundle.FullChainPem), FileOps.PublicMode, cancellationToken);
            await FileOps.WriteNewFileAsync(Path.Combine(staging, PrivateKeyFileName), Utf8(bundle.PrivateKeyPem), FileOps.PrivateMode, cancellationToken);
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(metadata, StoreJsonContext.Default.CertificateMetadata);
            await FileOps.WriteNewFileAsync(Path.Combine(staging, MetadataFileName), json, FileOps.PublicMode, cancellationToken);
            FileOps.FsyncDirectory(staging);
            version = Publish(staging, lineageArchive);
        }
        catch
        {
            TryDeleteDirectory(staging);
            throw;
        }

        FileOps.FsyncDirectory(lineageArchive);
        SwitchLive(name, version);
        Log.VersionStored(_logger, name, version, facts.SerialNumber, facts.NotAfter);

        return await GetVersionAsync(name, version, cancellationToken)
            ?? throw new StoreException($"store: version {version} of {name} vanished right after it was written; is another process pruning {lineageArchive}?");
    }

    /// <summary>Points <c>live/NAME</c> at an existing version (rollback).</summary>
    public Task ActivateAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        cancellationToken.ThrowIfCancellationRequested();
        string directory = VersionDirectory(name, version);
        foreach (string file in new[] { CertificateFileName, ChainFileName, FullChainFileName, PrivateKeyFileName })
        {
            if (!File.Exists(Path.Combine(directory, file)))
            {
                throw new StoreException($"store: {directory} has no {file}; pick a complete version from archive/{name}/");
            }
        }

        SwitchLive(name, version);
        return Task.CompletedTask;
    }

    /// <summary>The version <c>live/NAME</c> points to, or null when the lineage has none.</summary>
    public Task<int?> GetCurrentVersionAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(CurrentVersion(name));
    }

    /// <summary>The current version with its parsed certificate, or null when the lineage does not exist.</summary>
    public async Task<StoredCertificate?> GetCurrentAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        for (int attempt = 0; ; attempt++)
        {
            int? version = CurrentVersion(name);
            if (version is null)
            {
                return null;
            }

            StoredCertificate? stored = await ReadVersionAsync(name, version.Value, isCurrent: true, cancellationToken);
            if (stored is not null)
            {
                return stored;
            }

            // The version vanished under us: it was switched away from and pruned. Resolve again.
            if (attempt + 1 >= ReadAttempts || CurrentVersion(name) == version)
            {
                throw MissingCurrent(name, version.Value);
            }
        }
    }

    /// <summary>One version with its parsed certificate, or null when it does not exist.</summary>
    public async Task<StoredCertificate?> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        return await ReadVersionAsync(name, version, CurrentVersion(name) == version, cancellationToken);
    }

    /// <summary>
    /// The PEM texts and metadata of the current version, all read from the same version directory;
    /// null when the lineage does not exist.
    /// </summary>
    public async Task<CertificateBundle?> ReadCurrentBundleAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        for (int attempt = 0; ; attempt++)
        {
            int? version = CurrentVersion(name);
            if (version is null)
            {
                return null;
            }

            CertificateBundle? bundle = await ReadBundleAsync(VersionDirectory(name, version.Value), cancellationToken);
            if (bundle is not null)
            {
                return bundle;
            }

            if (attempt + 1 >= ReadAttempts || CurrentVersion(name) == version)
            {
                throw MissingCurrent(name, version.Value);
            }
        }
    }

    /// <summary>The PEM texts and metadata of <paramref name="certificate"/>'s version (not whatever is current now).</summary>
    public async Task<CertificateBundle> ReadBundleAsync(StoredCertificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return await ReadBundleAsync(certificate.VersionFiles.Directory, cancellationToken)
            ?? throw new StoreException($"store: {certificate.VersionFiles.Directory} is missing or incomplete; it was probably pruned, read the current version again");
    }

    /// <summary>
    /// The current version and renewal state of each lineage in <paramref name="names"/>, in that order, several
    /// lineages at a time (each is its own directory, and a version directory never changes once published).
    /// Reads only, like <see cref="GetCurrentAsync"/> and <see cref="ReadStateAsync"/> one by one; when some lineages cannot be
    /// read, the error of the first of them in <paramref name="names"/> is thrown.
    /// </summary>
    public async Task<IReadOnlyList<LineageSnapshot>> ReadLineagesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            ValidateName(name);
        }

        var snapshots = new LineageSnapshot[names.Count];
        if (!Directory.Exists(StateDirectory))
        {
            for (int i = 0; i < names.Count; i++)
            {
                snapshots[i] = new LineageSnapshot(names[i], null, null);
            }

            return snapshots;
        }

        // One listing instead of a failed open per lineage without state (most of them, in a quiet store).
        HashSet<string> withState = StateNames();
        var failures = new ExceptionDispatchInfo?[names.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = ReadParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), options, async (i, ct) =>
        {
            string name = names[i];
            try
            {
                StoredCertificate? current = await GetCurrentAsync(name, ct);
                LineageState? state = withState.Contains(name) ? await ReadStateAsync(name, ct) : null;
                snapshots[i] = new LineageSnapshot(name, current, state);
            }
            catch (Exception e) when (e is StoreException or IOException or UnauthorizedAccessException)
            {
                failures[i] = ExceptionDispatchInfo.Capture(e);
            }
        });

        foreach (ExceptionDispatchInfo? failure in failures)
        {
            failure?.Throw();
        }

        return snapshots;
    }

    /// <summary>How many lineages <see cref="ReadLineagesAsync"/> reads at a time: enough to overlap I/O waits on a cold cache.</summary>
    internal static int ReadParallelism => Math.Clamp(Environment.ProcessorCount * 2, 2, 16);

    private HashSet<string> StateNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(RenewalRoot))
        {
            return names;
        }

        try
        {
            foreach (string file in Directory.EnumerateFiles(RenewalRoot, "*.json"))
            {
                names.Add(Path.GetFileNameWithoutExtension(file));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "listing", RenewalRoot);
        }

        return names;
    }

    /// <summary>Names of all lineages that have a <c>live/NAME</c> link, sorted.</summary>
    public Task<IReadOnlyList<string>> ListLineagesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var live = new DirectoryInfo(LiveRoot);
        if (!live.Exists)
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        try
        {
            List<string> names = [.. live.EnumerateFileSystemInfos()
                .Where(entry => IsValidName(entry.Name) && entry.LinkTarget is not null)
                .Select(entry => entry.Name)
                .Order(StringComparer.Ordinal)];
            return Task.FromResult<IReadOnlyList<string>>(names);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "listing", LiveRoot);
        }
    }

    /// <summary>Version numbers present in <c>archive/NAME/</c>, ascending.</summary>
    public Task<IReadOnlyList<int>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<int>>(Versions(Path.Combine(ArchiveRoot, name)));
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keep"/> versions; the current version is always kept.
    /// Returns the removed version numbers.
    /// </summary>
    public Task<IReadOnlyList<int>> PruneAsync(string name, int keep, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        cancellationToken.ThrowIfCancellationRequested();

        string lineageArchive = Path.Combine(ArchiveRoot, name);
        if (!Directory.Exists(lineageArchive))
        {
            return Task.FromResult<IReadOnlyList<int>>([]);
        }

        int? current = CurrentVersion(name);
        List<int> versions = Versions(lineageArchive);
        var kept = versions.OrderDescending().Take(keep).ToHashSet();
        List<int> removed = [];
        foreach (int version in versions)
        {
            if (kept.Contains(version) || version == current)
            {
                continue;
            }

            // Renamed away first, so a half-deleted directory never looks like a version.
            string doomed = Path.Combine(lineageArchive, ".old-" + Path.GetRandomFileName());
            int errno = FileOps.TryRename(VersionDirectory(name, version), doomed);
            if (errno == Native.ENoEnt)
            {
                continue;
            }

            if (errno != 0)
            {
                throw FileOps.FromErrno(errno, "removing old version", VersionDirectory(name, version));
            }

            removed.Add(version);
            TryDeleteDirectory(doomed);
        }

        RemoveLeftovers(lineageArchive);
        if (removed.Count > 0)
        {
            FileOps.FsyncDirectory(lineageArchive);
            Log.VersionsPruned(_logger, name, removed.Count);
        }

        return Task.FromResult<IReadOnlyList<int>>(removed);
    }

    /// <summary>Renewal state of <paramref name="name"/>, or null when none was written.</summary>
    public Task<LineageState?> ReadStateAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        cancellationToken.ThrowIfCancellationRequested();
        // A small file replaced by rename(2): read synchronously, as versions are.
        string path = StatePath(name);
        byte[]? json = FileOps.ReadBytesOrNull(path);
        if (json is null)
        {
            return Task.FromResult<LineageState?>(null);
        }

        try
        {
            return Task.FromResult<LineageState?>(JsonSerializer.Deserialize(json, StoreJsonContext.Default.LineageState)
                ?? throw new JsonException("null document"));
        }
        catch (JsonException e)
        {
            throw new StoreException($"store: {path} is not valid renewal state JSON; fix or delete it (it only holds retry bookkeeping)", e);
        }
    }

    /// <summary>Replaces the renewal state of <see cref="LineageState.Name"/> atomically.</summary>
    public async Task WriteStateAsync(LineageState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ValidateName(state.Name);
        FileOps.EnsureDirectory(RenewalRoot);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(state, StoreJsonContext.Default.LineageState);
        await FileOps.WriteAtomicAsync(StatePath(state.Name), json, FileOps.PrivateMode, cancellationToken);
    }

    private string StatePath(string name) => Path.Combine(RenewalRoot, name + ".json");

    private string VersionDirectory(string name, int version) =>
        Path.Combine(ArchiveRoot, name, VersionName(version));

    private static string VersionName(int version) => version.ToString("D4", CultureInfo.InvariantCulture);

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static void ValidateName(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException(
                $"store: lineage name '{name}' is not a single safe path segment; use letters, digits, '.', '-', '_'", nameof(name));
        }
    }

    /// <summary>Renames <paramref name="staging"/> to the next free version number and returns it.</summary>
    private static int Publish(string staging, string lineageArchive)
    {
        int next = Versions(lineageArchive).DefaultIfEmpty(0).Max() + 1;
        for (int attempt = 0; attempt < 100; attempt++, next++)
        {
            // rename(2) of a directory fails with EEXIST/ENOTEMPTY if the target is a non-empty directory,
            // so two writers can never both claim one number.
            int errno = FileOps.TryRename(staging, Path.Combine(lineageArchive, VersionName(next)));
            if (errno == 0)
            {
                return next;
            }

            if (errno is not (Native.EExist or Native.ENotEmpty))
            {
                throw FileOps.FromErrno(errno, "publishing new version in", lineageArchive);
            }
        }

        throw new StoreException($"store: could not find a free version number in {lineageArchive}; is another writer running without the run lock?");
    }

    private void SwitchLive(string name, int version)
    {
        string link = Path.Combine(LiveRoot, name);
        string temp = Path.Combine(LiveRoot, "." + name + "." + Path.GetRandomFileName() + ".tmp");
        string target = Path.Combine("..", "archive", name, VersionName(version));
        try
        {
            File.CreateSymbolicLink(temp, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "creating link", temp);
        }

        // rename(2) replaces the old link in one step: a reader resolves either the old or the new version.
        int errno = FileOps.TryRename(temp, link);
        if (errno != 0)
        {
            FileOps.TryDeleteFile(temp);
            if (errno is Native.EIsDir or Native.ENotEmpty or Native.EExist)
            {
                throw new StoreException(
                    $"store: {link} is a real directory, not a link into archive/ (a certbot lineage?); move it away or pick another name");
            }

            throw FileOps.FromErrno(errno, "switching", link);
        }

        FileOps.FsyncDirectory(LiveRoot);
        Log.LiveSwitched(_logger, name, version);
    }

    private int? CurrentVersion(string name)
    {
        string link = Path.Combine(LiveRoot, name);
        string? target;
        try
        {
            target = new FileInfo(link).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "reading link", link);
        }

        if (target is null)
        {
            if (Directory.Exists(link) || File.Exists(link))
            {
                throw new StoreException(
                    $"store: {link} is not a link into archive/ (a certbot lineage?); move it away or pick another name");
            }

            return null;
        }

        string segment = Path.GetFileName(Path.TrimEndingDirectorySeparator(target));
        if (!TryParseVersion(segment, out int version))
        {
            throw new StoreException($"store: {link} points to '{target}', not to a version in archive/{name}/; remove the link and save again");
        }

        return version;
    }

    private Task<StoredCertificate?> ReadVersionAsync(string name, int version, bool isCurrent, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string directory = VersionDirectory(name, version);
        // Read synchronously: two small files of a directory that never changes once published; a thread-pool hop per
        // file costs more than the read (status reads thousands of lineages, several at a time).
        byte[]? pemBytes = FileOps.ReadBytesOrNull(Path.Combine(directory, CertificateFileName));
        byte[]? meta = FileOps.ReadBytesOrNull(Path.Combine(directory, MetadataFileName));
        if (pemBytes is null || meta is null)
        {
            return Task.FromResult<StoredCertificate?>(null);
        }

        string pem = System.Text.Encoding.UTF8.GetString(pemBytes);

        CertificateMetadata metadata = ParseMetadata(meta, Path.Combine(directory, MetadataFileName));
        CertificateFacts facts;
        if (CertificateInspector.Recorded(metadata) is { } recorded
            && recorded.Sha256Fingerprint.Equals(CertificateInspector.PemFingerprint(pem), StringComparison.OrdinalIgnoreCase))
        {
            // meta.json was written from this very certificate (same DER): its facts are the certificate's.
            facts = recorded;
        }
        else
        {
            // Metadata from before the facts were recorded, or edited, or left from another certificate: the certificate wins.
            using (X509Certificate2 certificate = CertificateInspector.Load(pem, Path.Combine(directory, CertificateFileName)))
            {
                facts = CertificateInspector.Inspect(certificate);
            }

            if (CertificateInspector.Contradicts(metadata, facts))
            {
                Log.MetadataContradicted(_logger, name, version, Path.Combine(directory, MetadataFileName));
                metadata = CertificateInspector.WithFacts(metadata, facts);
            }
        }

        return Task.FromResult<StoredCertificate?>(new StoredCertificate(
            name,
            version,
            isCurrent,
            CertificateFiles.In(Path.Combine(LiveRoot, name)),
            CertificateFiles.In(directory),
            facts.SerialNumber,
            facts.NotBefore,
            facts.NotAfter,
            facts.DnsNames,
            facts.KeyType,
            facts.Issuer,
            facts.Subject,
            facts.Sha256Fingerprint,
            metadata));
    }

    private static async Task<CertificateBundle?> ReadBundleAsync(string directory, CancellationToken cancellationToken)
    {
        string? certificate = await FileOps.ReadTextOrNullAsync(Path.Combine(directory, CertificateFileName), cancellationToken);
        string? chain = await FileOps.ReadTextOrNullAsync(Path.Combine(directory, ChainFileName), cancellationToken);
        string? fullChain = await FileOps.ReadTextOrNullAsync(Path.Combine(directory, FullChainFileName), cancellationToken);
        string? key = await FileOps.ReadTextOrNullAsync(Path.Combine(directory, PrivateKeyFileName), cancellationToken);
        string? meta = await FileOps.ReadTextOrNullAsync(Path.Combine(directory, MetadataFileName), cancellationToken);
        if (certificate is null || chain is null || fullChain is null || key is null || meta is null)
        {
            return null;
        }

        return new CertificateBundle(certificate, chain, fullChain, key, ParseMetadata(meta, Path.Combine(directory, MetadataFileName)));
    }

    private static CertificateMetadata ParseMetadata(string json, string path) =>
        ParseMetadata(System.Text.Encoding.UTF8.GetBytes(json), path);

    private static CertificateMetadata ParseMetadata(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(json, StoreJsonContext.Default.CertificateMetadata)
                ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new StoreException($"store: {path} is not valid metadata JSON; restore it from a backup or save the certificate again", e);
        }
    }

    private static List<int> Versions(string lineageArchive)
    {
        if (!Directory.Exists(lineageArchive))
        {
            return [];
        }

        try
        {
            List<int> versions = [];
            foreach (string directory in Directory.EnumerateDirectories(lineageArchive))
            {
                if (TryParseVersion(Path.GetFileName(directory), out int version))
                {
                    versions.Add(version);
                }
            }

            versions.Sort();
            return versions;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileOps.Wrap(e, "listing", lineageArchive);
        }
    }

    private static bool TryParseVersion(string segment, out int version)
    {
        version = 0;
        return segment.Length > 0
            && segment.All(char.IsAsciiDigit)
            && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out version)
            && version > 0;
    }

    /// <summary>Removes staging and pruning directories left by killed runs (old enough not to belong to a live writer).</summary>
    private void RemoveLeftovers(string lineageArchive)
    {
        DateTimeOffset cutoff = _time.GetUtcNow() - LeftoverAge;
        foreach (string directory in Directory.EnumerateDirectories(lineageArchive, ".*"))
        {
            if (Directory.GetLastWriteTimeUtc(directory) < cutoff.UtcDateTime)
            {
                TryDeleteDirectory(directory);
            }
        }
    }

    private void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.LeftoverNotRemoved(_logger, directory, e.Message);
        }
    }

    private static StoreException MissingCurrent(string name, int version) => new(
        $"store: live/{name} points to version {version} but its files are missing; restore archive/{name}/{VersionName(version)} or activate another version");
}
