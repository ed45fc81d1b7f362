using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class StatusCommand
{
    internal static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var command = new Command("status", "Show each configured certificate: names, serial, expiry, next renewal") { json };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var statuses = await new StatusService(runtime).GetAsync(ct);
            if (parse.GetValue(json))
            {
                await WriteStatusJsonAsync(console.Out, statuses);
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
                await console.Out.WriteLineAsync(s.Due ? $"  due now: {s.Reason}" : $"  next renewal {s.NextCheck:yyyy-MM-dd HH:mm} UTC: {s.Reason}");
                if (s.LastResult is not null)
                {
                    await console.Out.WriteLineAsync($"  last result: {s.LastResult}");
                }

                if (s.BackoffUntil is { } backoff && backoff > now)
                {
                    await console.Out.WriteLineAsync($"  backing off until {backoff:yyyy-MM-dd HH:mm} UTC");
                }

                if (s.Warning is not null)
                {
                    await console.Out.WriteLineAsync($"  warning: {s.Warning}");
                }
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

    /// <summary>Writes the JSON document and a newline, in slices: 10,000 certificates make several megabytes.</summary>
    internal static async Task WriteStatusJsonAsync(TextWriter output, IReadOnlyList<CertificateStatus> statuses)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        await using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("certificates");
            foreach (var s in statuses)
            {
                // Only between two certificates, so a slice never ends inside a UTF-8 sequence.
                if (buffer.WrittenCount > 48 * 1024)
                {
                    await w.FlushAsync();
                    await output.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
                    buffer.ResetWrittenCount();
                }

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
                WriteTime(w, "nextCheck", s.NextCheck);
                WriteNullable(w, "reason", s.Reason);
                w.WriteBoolean("due", s.Due);
                WriteNullable(w, "lastResult", s.LastResult);
                WriteNullable(w, "warning", s.Warning);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
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
}
