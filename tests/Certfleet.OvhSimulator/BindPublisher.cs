using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Certfleet.OvhSimulator;

/// <summary>Applies a zone's diff to BIND with RFC 2136 updates, through <c>nsupdate -k</c> (the key stays in a file).</summary>
internal sealed partial class BindPublisher(string server, string? keyFile, ILogger logger)
{
    public async Task PublishAsync(string zone, IReadOnlyList<SimRecord> removed, IReadOnlyList<SimRecord> added, CancellationToken cancellationToken)
    {
        if (removed.Count == 0 && added.Count == 0)
        {
            return;
        }

        var (host, port) = Split(server);
        var script = new StringBuilder();
        script.Append("server ").Append(host).Append(' ').Append(port).Append('\n');
        script.Append("zone ").Append(zone).Append(".\n");
        foreach (var r in removed)
        {
            script.Append("update delete ").Append(Owner(r)).Append(' ').Append(r.FieldType).Append(' ').Append(Rdata(r)).Append('\n');
        }

        foreach (var r in added)
        {
            script.Append("update add ").Append(Owner(r)).Append(' ').Append(r.Ttl).Append(' ').Append(r.FieldType).Append(' ').Append(Rdata(r)).Append('\n');
        }

        script.Append("send\n");
        var psi = new ProcessStartInfo("nsupdate")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (keyFile is not null)
        {
            psi.ArgumentList.Add("-k");
            psi.ArgumentList.Add(keyFile);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("nsupdate did not start");
        await process.StandardInput.WriteAsync(script.ToString()).ConfigureAwait(false);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            UpdateFailed(logger, zone, process.ExitCode, (await stderr.ConfigureAwait(false)).Trim());
        }
        else
        {
            Published(logger, zone, added.Count, removed.Count);
        }
    }

    internal static string Owner(SimRecord r) => (r.SubDomain.Length == 0 ? r.Zone : r.SubDomain + "." + r.Zone) + ".";

    internal static string Rdata(SimRecord r)
    {
        if (string.Equals(r.FieldType, "TXT", StringComparison.OrdinalIgnoreCase))
        {
            // Targets are stored as sent; web-UI records already carry their quotes.
            return r.Target.Length >= 2 && r.Target[0] == '"' && r.Target[^1] == '"'
                ? r.Target
                : "\"" + r.Target.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        }

        if (r.FieldType is "CNAME" or "NS" or "MX" or "SRV" or "PTR" && !r.Target.EndsWith('.'))
        {
            return r.Target + "." + r.Zone + ".";
        }

        return r.Target;
    }

    private static (string Host, string Port) Split(string endpoint)
    {
        var i = endpoint.LastIndexOf(':');
        return i > 0 && !endpoint.EndsWith(']') ? (endpoint[..i].Trim('[', ']'), endpoint[(i + 1)..]) : (endpoint, "53");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "sim: nsupdate for zone {Zone} exited {Code}: {Error}")]
    private static partial void UpdateFailed(ILogger logger, string zone, int code, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "sim: published zone {Zone} to BIND (+{Added} -{Removed})")]
    private static partial void Published(ILogger logger, string zone, int added, int removed);
}
