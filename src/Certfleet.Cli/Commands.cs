using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class Commands
{
    public static IEnumerable<Command> All(CliConsole console) =>
    [
        Issue(console),
        Status(console),
        Account(console),
        Revoke(console),
        Docs(console),
    ];

    /// <summary>Runs an action with the services and the loaded configuration; errors go to the top-level handler.</summary>
    private static void Run(Command command, CliConsole console, Func<ParseResult, CertfleetRuntime, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var services = CliHost.BuildServices(console, parse.GetValue(CliApplication.VerboseOption));
            using var runtime = CliHost.LoadRuntime(services, parse, console);
            return await action(parse, runtime, cancellationToken);
        });

    private static CertificateSettings Certificate(CertfleetRuntime runtime, string name) =>
        runtime.Settings.Find(name) ?? throw new UsageException(runtime.Settings.Certificates.Count == 0
            ? $"certfleet: no certificate '{name}' in {runtime.Settings.File}; add it under certificates:"
            : $"certfleet: no certificate '{name}' in {runtime.Settings.File}; configured: {string.Join(", ", runtime.Settings.Certificates.Select(c => c.Name))}");

    private static Command Issue(CliConsole console)
    {
        var name = new Argument<string[]>("NAME") { Description = "Certificates to obtain now (default: all configured)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("issue", "Obtain certificates now, whether or not they are due") { name };
        Run(command, console, async (parse, runtime, ct) =>
        {
            var names = parse.GetValue(name) is { Length: > 0 } n ? n : runtime.Settings.Certificates.Select(c => c.Name).ToArray();
            var certificates = names.Select(x => Certificate(runtime, x)).ToList();
            var observer = new ConsoleObserver(console, runtime.Time);
            await using var runLock = await AcquireLockAsync(runtime, ct);
            var workflow = new IssueWorkflow(runtime);
            await workflow.SweepAsync(observer, ct);
            var failed = 0;
            foreach (var certificate in certificates)
            {
                try
                {
                    var result = await workflow.IssueAsync(certificate, observer, replaces: null, ct);
                    await console.Out.WriteLineAsync($"{result.Name}: {result.Certificate.LiveFiles.FullChain}");
                }
                catch (Exception e) when (certificates.Count > 1 && e is not OperationCanceledException)
                {
                    // One failing certificate must not keep the others from being issued.
                    failed++;
                    await console.Error.WriteLineAsync(ErrorMapper.Map(e).Message);
                }
            }

            return failed == 0 ? ExitCodes.Success : failed == certificates.Count ? ExitCodes.Failure : ExitCodes.Partial;
        });
        return command;
    }

    private static async Task<RunLock> AcquireLockAsync(CertfleetRuntime runtime, CancellationToken ct)
    {
        var result = await RunLock.TryAcquireAsync(runtime.Settings.StateDir, runtime.Time, ct);
        return result.Lock ?? throw new CertfleetException($"certfleet: {result.Describe()}; wait for it to finish");
    }

    private static Command Status(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var command = new Command("status", "Show each configured certificate: names, serial, expiry, next renewal") { json };
        Run(command, console, async (parse, runtime, ct) =>
        {
            var statuses = await new StatusService(runtime).GetAsync(ct);
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync(StatusJson(statuses));
                return ExitCodes.Success;
            }

            var now = runtime.Time.GetUtcNow();
            foreach (var s in statuses)
            {
                await console.Out.WriteLineAsync($"{s.Name}: {string.Join(", ", s.Domains)}");
                if (s.Serial is null)
                {
                    await console.Out.WriteLineAsync("  not issued yet: run 'certfleet issue " + s.Name + "'");
                    continue;
                }

                var days = (s.NotAfter!.Value - now).TotalDays;
                await console.Out.WriteLineAsync($"  serial {s.Serial}, {s.KeyType}, version {s.Version}");
                await console.Out.WriteLineAsync($"  valid {s.NotBefore:yyyy-MM-dd HH:mm} → {s.NotAfter:yyyy-MM-dd HH:mm} UTC ({(days >= 0 ? $"{days:0.#} days left" : "EXPIRED")})");
                await console.Out.WriteLineAsync($"  renew after {s.RenewAfter:yyyy-MM-dd HH:mm} UTC");
                await console.Out.WriteLineAsync($"  {s.FullChainPath}");
                if (s.LastError is not null)
                {
                    await console.Out.WriteLineAsync($"  last error ({s.FailureCount} failure(s)): {s.LastError}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static string StatusJson(IReadOnlyList<CertificateStatus> statuses)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("certificates");
            foreach (var s in statuses)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteStartArray("domains");
                foreach (var d in s.Domains)
                {
                    w.WriteStringValue(d);
                }

                w.WriteEndArray();
                WriteNullable(w, "serial", s.Serial);
                WriteTime(w, "notBefore", s.NotBefore);
                WriteTime(w, "notAfter", s.NotAfter);
                w.WriteString("keyType", s.KeyType);
                WriteTime(w, "renewAfter", s.RenewAfter);
                if (s.Version is { } v)
                {
                    w.WriteNumber("version", v);
                }
                else
                {
                    w.WriteNull("version");
                }

                WriteNullable(w, "fullchain", s.FullChainPath);
                WriteNullable(w, "privkey", s.PrivateKeyPath);
                WriteNullable(w, "lastError", s.LastError);
                w.WriteNumber("failures", s.FailureCount);
                WriteTime(w, "backoffUntil", s.BackoffUntil);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } t)
        {
            w.WriteString(name, t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static Command Account(CliConsole console)
    {
        var command = new Command("account", "Manage the ACME account of the configured directory");

        var show = new Command("show", "Show the account: URL, status, contacts, key");
        Run(show, console, async (parse, runtime, ct) =>
        {
            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var account = await client.GetAccountAsync(ct);
            await console.Out.WriteLineAsync($"directory: {runtime.Settings.Acme.Directory}");
            await console.Out.WriteLineAsync($"account:   {account.Url}");
            await console.Out.WriteLineAsync($"status:    {account.Status.ToString().ToLowerInvariant()}");
            await console.Out.WriteLineAsync($"contacts:  {(account.Contacts.Count == 0 ? "(none)" : string.Join(", ", account.Contacts))}");
            await console.Out.WriteLineAsync($"key:       {client.AccountKey.KeyType} (JWK thumbprint {client.AccountKey.Thumbprint})");
            return ExitCodes.Success;
        });

        var register = new Command("register", "Register an account (or find the stored one) and agree to the CA's terms of service");
        Run(register, console, async (parse, runtime, ct) =>
        {
            var client = await runtime.ConnectAsync(register: true, new ConsoleObserver(console, runtime.Time), "account", ct);
            var directory = await client.GetDirectoryAsync(ct);
            await console.Out.WriteLineAsync($"account: {client.AccountUrl}");
            if (directory.TermsOfService is { } tos)
            {
                await console.Out.WriteLineAsync($"terms of service: {tos}");
            }

            return ExitCodes.Success;
        });

        var rollover = new Command("rollover", "Replace the account key with a new one (RFC 8555 §7.3.5)");
        Run(rollover, console, async (parse, runtime, ct) =>
        {
            await using var runLock = await AcquireLockAsync(runtime, ct);
            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var stored = await runtime.Accounts.LoadAsync(runtime.Settings.Acme.Directory.ToString(), ct);
            var newKey = AcmeAccountKey.Generate(client.AccountKey.KeyType);
            await client.ChangeKeyAsync(newKey, ct);
            await runtime.Accounts.SaveAsync(stored! with { PrivateKeyPem = newKey.ExportPem() }, ct);
            await console.Out.WriteLineAsync($"account key replaced: new JWK thumbprint {newKey.Thumbprint}");
            return ExitCodes.Success;
        });

        var yes = new Option<bool>("--yes") { Description = "Confirm: a deactivated account can never be used again" };
        var deactivate = new Command("deactivate", "Deactivate the account for good (RFC 8555 §7.3.6)") { yes };
        Run(deactivate, console, async (parse, runtime, ct) =>
        {
            if (!parse.GetValue(yes))
            {
                throw new UsageException("certfleet: deactivation cannot be undone; run again with --yes to confirm");
            }

            var client = await runtime.ConnectAsync(register: false, null, null, ct);
            var account = await client.DeactivateAccountAsync(ct);
            await console.Out.WriteLineAsync($"account {account.Url} is {account.Status.ToString().ToLowerInvariant()}");
            return ExitCodes.Success;
        });

        command.Subcommands.Add(show);
        command.Subcommands.Add(register);
        command.Subcommands.Add(rollover);
        command.Subcommands.Add(deactivate);
        return command;
    }

    private static readonly Dictionary<string, RevocationReason> Reasons = new(StringComparer.OrdinalIgnoreCase)
    {
        ["unspecified"] = RevocationReason.Unspecified,
        ["keyCompromise"] = RevocationReason.KeyCompromise,
        ["affiliationChanged"] = RevocationReason.AffiliationChanged,
        ["superseded"] = RevocationReason.Superseded,
        ["cessationOfOperation"] = RevocationReason.CessationOfOperation,
    };

    private static Command Revoke(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The certificate whose current version is revoked" };
        var reason = new Option<string>("--reason")
        {
            Description = "RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation",
            DefaultValueFactory = _ => "unspecified",
        };
        reason.AcceptOnlyFromAmong([.. Reasons.Keys]);
        var byKey = new Option<bool>("--with-certificate-key") { Description = "Sign the request with the certificate's own key instead of the account key" };
        var command = new Command("revoke", "Revoke the current certificate of NAME") { name, reason, byKey };
        Run(command, console, async (parse, runtime, ct) =>
        {
            var certificate = Certificate(runtime, parse.GetValue(name)!);
            var current = await new RevokeWorkflow(runtime).RevokeAsync(certificate.Name, Reasons[parse.GetValue(reason)!], parse.GetValue(byKey), ct);
            await console.Out.WriteLineAsync($"{certificate.Name}: serial {current.SerialNumber} revoked ({parse.GetValue(reason)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Docs(CliConsole console)
    {
        var dir = new Argument<string>("DIR") { Description = "The docs folder to write configuration.md and cli.md into" };
        var generate = new Command("generate", "Write the generated references") { dir };
        generate.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(dir)!;
            using var services = CliHost.BuildServices(console, false);
            await File.WriteAllTextAsync(Path.Combine(target, "configuration.md"), ConfigurationReference(services), ct);
            await File.WriteAllTextAsync(Path.Combine(target, "cli.md"), ReferenceDocs.Cli(CliApplication.BuildRoot(console)), ct);
            return ExitCodes.Success;
        });
        var command = new Command("docs", "Generate the reference documentation") { Hidden = true };
        command.Subcommands.Add(generate);
        return command;
    }

    internal static string ConfigurationReference(IServiceProvider services)
    {
        var registry = services.GetRequiredService<DnsProviderRegistry>();
        var sections = new List<Certfleet.Configuration.ConfigSectionSchema>();
        sections.AddRange(SettingsSchema.Sections);
        sections.AddRange(DnsOptions.Schemas);
        sections.AddRange(registry.ProviderSchemas);
        return ReferenceDocs.Configuration(sections);
    }
}
