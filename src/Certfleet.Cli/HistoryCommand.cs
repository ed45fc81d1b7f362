using System.CommandLine;
using System.Text.Json;
using Certfleet.Engine.Renewal;
using Certfleet.Store;

namespace Certfleet.Cli;

internal static class HistoryCommand
{
    internal static Command Create(CliConsole console)
    {
        var name = new Argument<string?>("NAME") { Description = "Only this certificate", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var limit = new Option<int>("--limit") { Description = "Newest entries to show", DefaultValueFactory = _ => 50 };
        var command = new Command("history", "Show recorded orders, renewal decisions, issuances, failures and notifications, newest first") { name, json, limit };
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var certificate = parse.GetValue(name);
            if (certificate is not null)
            {
                Commands.Certificate(runtime, certificate);
            }

            var entries = await RenewWorkflow.CreateHistory(runtime).QueryAsync(new HistoryQuery { Certificate = certificate, Limit = Math.Max(1, parse.GetValue(limit)) }, ct);
            if (parse.GetValue(json))
            {
                await console.Out.WriteLineAsync(Json(entries));
                return ExitCodes.Success;
            }

            if (entries.Count == 0)
            {
                await console.Out.WriteLineAsync("no history yet");
            }

            foreach (var e in entries)
            {
                var names = e.Names.Count > 0 ? $" [{string.Join(", ", e.Names)}]" : "";
                await console.Out.WriteLineAsync($"{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} {(e.Certificate.Length > 0 ? e.Certificate : "-"),-16} {HistoryStore.KindName(e.Kind),-12} {e.Outcome,-10} {e.Message}{names}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string Json(IReadOnlyList<HistoryEntry> entries)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("time", e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("certificate", e.Certificate);
                w.WriteString("kind", HistoryStore.KindName(e.Kind));
                w.WriteString("outcome", e.Outcome);
                w.WriteString("message", e.Message);
                w.WriteStartArray("names");
                foreach (var n in e.Names)
                {
                    w.WriteStringValue(n);
                }

                w.WriteEndArray();
                w.WriteString("account", e.Account);
                w.WriteBoolean("ari", e.Ari);
                w.WriteString("serial", e.Serial);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
