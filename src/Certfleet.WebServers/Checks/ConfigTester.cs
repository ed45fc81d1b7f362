using System.Text.RegularExpressions;
using Certfleet.Remote;

namespace Certfleet.WebServers.Checks;

/// <summary>The outcome of a web server's own configuration test.</summary>
/// <param name="Command">What was run, e.g. <c>nginx -t</c>.</param>
/// <param name="Message">The first error line, without the program's prefix; null when the test passed.</param>
/// <param name="Location">Where the error is, when the server says so.</param>
public sealed record ConfigTestResult(string Service, bool Passed, string Command, string? Message, ConfigLocation? Location, string Output);

/// <summary>
/// Runs the server's own syntax check (<c>nginx -t</c>, <c>httpd -t</c>, <c>apache2ctl -t</c>) or, for Tomcat,
/// parses server.xml and opens the keystores. Read-only: nothing on the host is changed. Call it before a reload.
/// </summary>
public static partial class ConfigTester
{
    public static async Task<ConfigTestResult> TestAsync(IRemoteHost host, WebServerInfo webServer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(webServer);
        switch (webServer.Kind)
        {
            case WebServerKind.Nginx:
            {
                var r = await host.RunAsync(WebServerDetector.Sys("nginx", "-t", "-q"), cancellationToken);
                var output = (r.Stderr + r.Stdout).Trim();
                if (r.Succeeded)
                {
                    return new ConfigTestResult(webServer.Service, true, "nginx -t", null, null, output);
                }

                var line = output.Split('\n').FirstOrDefault(l => l.Contains("[emerg]", StringComparison.Ordinal)) ?? FirstLine(output, r);
                var m = NginxWhere().Match(line);
                var message = NginxPrefix().Replace(line, "").Trim();
                return new ConfigTestResult(webServer.Service, false, "nginx -t", message,
                    m.Success ? new ConfigLocation(m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) : null, output);
            }

            case WebServerKind.Apache:
            {
                var program = webServer.Layout == "httpd" ? "httpd" : "apache2ctl";
                var r = await host.RunAsync(WebServerDetector.Sys(program, "-t"), cancellationToken);
                var output = (r.Stderr + r.Stdout).Trim();
                if (r.Succeeded)
                {
                    return new ConfigTestResult(webServer.Service, true, $"{program} -t", null, null, output);
                }

                var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
                var at = lines.FindIndex(l => ApacheWhere().IsMatch(l));
                ConfigLocation? location = null;
                string message;
                if (at >= 0)
                {
                    var m = ApacheWhere().Match(lines[at]);
                    location = new ConfigLocation(m.Groups[2].Value, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                    message = at + 1 < lines.Count ? lines[at + 1] : lines[at];
                }
                else
                {
                    message = lines.FirstOrDefault(l => !l.StartsWith("Action ", StringComparison.Ordinal)) ?? FirstLine(output, r);
                }

                return new ConfigTestResult(webServer.Service, false, $"{program} -t", message, location, output);
            }

            default:
                return await TomcatChecks.TestAsync(host, webServer, cancellationToken);
        }
    }

    private static string FirstLine(string output, CommandResult r) =>
        output.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? $"exit code {r.ExitCode}";

    [GeneratedRegex(@" in (/\S+?):(\d+)")]
    private static partial Regex NginxWhere();

    [GeneratedRegex(@"^nginx: \[emerg\]\s*")]
    private static partial Regex NginxPrefix();

    [GeneratedRegex(@"(?:Syntax error|Error) on line (\d+) of ([^:]+):")]
    private static partial Regex ApacheWhere();
}
