using System.CommandLine;
using System.Text.Json;
using Certfleet.Acme;
using Certfleet.Dns;
using Certfleet.Engine;
using Certfleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Certfleet.Cli;

internal static class RevokeCommand
{
    private static readonly Dictionary<string, RevocationReason> Reasons = new(StringComparer.OrdinalIgnoreCase)
    {
        ["unspecified"] = RevocationReason.Unspecified,
        ["keyCompromise"] = RevocationReason.KeyCompromise,
        ["affiliationChanged"] = RevocationReason.AffiliationChanged,
        ["superseded"] = RevocationReason.Superseded,
        ["cessationOfOperation"] = RevocationReason.CessationOfOperation,
    };

    internal static Command Create(CliConsole console)
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
        Commands.Run(command, console, async (parse, runtime, ct) =>
        {
            var certificate = Commands.Certificate(runtime, parse.GetValue(name)!);
            var current = await new RevokeWorkflow(runtime).RevokeAsync(certificate.Name, Reasons[parse.GetValue(reason)!], parse.GetValue(byKey), ct);
            await console.Out.WriteLineAsync($"{certificate.Name}: serial {current.SerialNumber} revoked ({parse.GetValue(reason)})");
            return ExitCodes.Success;
        });
        return command;
    }
}
