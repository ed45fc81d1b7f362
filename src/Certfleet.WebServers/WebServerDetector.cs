using System.Text.RegularExpressions;
using Certfleet.Remote;

namespace Certfleet.WebServers;

/// <summary>Finds nginx, Apache (httpd and apache2 layouts) and Tomcat on a host and reads their TLS configuration.</summary>
public static partial class WebServerDetector
{
    /// <summary>Shell prefix putting the sbin directories on PATH for scripts.</summary>
    public const string PathPrefix = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; ";

    private const string ProbeScript = PathPrefix + """
        for b in nginx httpd apache2ctl; do p=$(command -v "$b") && echo "bin $b $p"; done
        [ -f /etc/nginx/nginx.conf ] && echo "file nginx"
        [ -f /etc/httpd/conf/httpd.conf ] && echo "file httpd"
        [ -f /etc/apache2/apache2.conf ] && echo "file apache2"
        for d in /proc/[0-9]*; do
          c=$(cat "$d/comm" 2>/dev/null) || continue
          case "$c" in nginx|httpd|apache2|java) printf 'proc %s %s\n' "$c" "$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null | head -c 4000)";; esac
        done
        for d in /var/lib/tomcat10 /var/lib/tomcat9 /var/lib/tomcat /usr/share/tomcat /opt/tomcat; do [ -f "$d/conf/server.xml" ] && echo "tomcat $d"; done
        exit 0
        """;

    /// <summary>A program run with the usual sbin directories on PATH (non-root users often lack them).</summary>
    public static RemoteCommand Sys(params string[] arguments) => RemoteCommand.Script(PathPrefix + "exec \"$@\"", arguments);

    public static async Task<IReadOnlyList<WebServerInfo>> DetectAsync(IRemoteHost host, IFileSource files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(files);
        var probe = await host.RunAsync(RemoteCommand.Script(ProbeScript), cancellationToken);
        var lines = probe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        bool Has(string prefix) => lines.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var procs = lines.Where(l => l.StartsWith("proc ", StringComparison.Ordinal)).Select(l => l[5..]).ToList();
        var result = new List<WebServerInfo>();

        if (Has("bin nginx ") && Has("file nginx"))
        {
            result.Add(await NginxAsync(host, procs.Any(p => p.StartsWith("nginx ", StringComparison.Ordinal)), cancellationToken));
        }

        var apacheRunning = procs.Any(p => p.StartsWith("httpd ", StringComparison.Ordinal) || p.StartsWith("apache2 ", StringComparison.Ordinal));
        if (Has("bin httpd ") && Has("file httpd"))
        {
            result.Add(await ApacheAsync(host, files, "httpd", apacheRunning, cancellationToken));
        }
        else if (Has("bin apache2ctl ") && Has("file apache2"))
        {
            result.Add(await ApacheAsync(host, files, "apache2", apacheRunning, cancellationToken));
        }

        var tomcatProcs = procs.Where(p => p.StartsWith("java ", StringComparison.Ordinal) && p.Contains("org.apache.catalina.startup.Bootstrap", StringComparison.Ordinal)).ToList();
        var bases = tomcatProcs.Select(p => Property(p, "catalina.base")).OfType<string>().ToList();
        foreach (var dir in lines.Where(l => l.StartsWith("tomcat ", StringComparison.Ordinal)).Select(l => l[7..]))
        {
            if (!bases.Contains(dir))
            {
                bases.Add(dir);
            }
        }

        foreach (var catalinaBase in bases.Distinct())
        {
            var proc = tomcatProcs.FirstOrDefault(p => Property(p, "catalina.base") == catalinaBase);
            result.Add(await TomcatAsync(host, files, catalinaBase, proc is null ? null : Property(proc, "catalina.home"), proc is not null, cancellationToken));
        }

        return result;
    }

    private static async Task<WebServerInfo> NginxAsync(IRemoteHost host, bool running, CancellationToken cancellationToken)
    {
        var findings = new List<ConfigFinding>();
        var version = await host.RunAsync(Sys("nginx", "-v"), cancellationToken);
        var dump = await host.RunAsync(RemoteCommand.Script(PathPrefix + $"nginx -T 2>&1 | head -c {ConfigLimits.MaxDumpBytes}"), cancellationToken);
        var endpoints = new List<TlsEndpoint>();
        if (!dump.Stdout.Contains("test is successful", StringComparison.Ordinal))
        {
            // "nginx: [emerg] ..." before the error log is open, "DATE TIME [emerg] PID#TID: ..." once it is.
            var lines = dump.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var firstError = lines.FirstOrDefault(l => l.Contains("[emerg]", StringComparison.Ordinal))
                ?? lines.LastOrDefault(l => !l.StartsWith('#')) ?? dump.Stderr.Trim();
            findings.Add(new ConfigFinding($"nginx -T reports an invalid configuration: {firstError}"));
        }

        if (dump.Stdout.Length >= ConfigLimits.MaxDumpBytes)
        {
            findings.Add(new ConfigFinding($"nginx -T printed more than {ConfigLimits.MaxDumpBytes} bytes; the rest was not read"));
        }

        var parsed = NginxConfigParser.ParseDump(dump.Stdout);
        endpoints.AddRange(parsed.Endpoints);
        findings.AddRange(parsed.Findings);
        return new WebServerInfo(WebServerKind.Nginx, "nginx", Match(NginxVersion(), version.Stderr + version.Stdout), running, "/etc/nginx", null, endpoints, findings);
    }

    private static async Task<WebServerInfo> ApacheAsync(IRemoteHost host, IFileSource files, string layout, bool running, CancellationToken cancellationToken)
    {
        var findings = new List<ConfigFinding>();
        var program = layout == "httpd" ? "httpd" : "apache2ctl";
        var version = await host.RunAsync(Sys(program, "-v"), cancellationToken);
        var dashS = await host.RunAsync(Sys(program, "-S"), cancellationToken);
        var text = dashS.Stdout + dashS.Stderr;
        if (dashS.ExitCode != 0)
        {
            findings.Add(new ConfigFinding($"{program} -S reports an invalid configuration: {text.Split('\n').FirstOrDefault(l => l.Contains("rror", StringComparison.Ordinal)) ?? text.Trim()}"));
        }

        var serverRoot = ServerRoot().Match(text) is { Success: true } m ? m.Groups[1].Value : layout == "httpd" ? "/etc/httpd" : "/etc/apache2";
        var main = layout == "httpd" ? "conf/httpd.conf" : "apache2.conf";
        var defines = layout == "apache2" ? await EnvVarsAsync(files, cancellationToken) : null;
        var parsed = await ApacheConfigParser.ParseAsync(files, serverRoot, main, defines, cancellationToken);
        findings.AddRange(parsed.Findings);
        return new WebServerInfo(WebServerKind.Apache, layout, Match(ApacheVersion(), version.Stdout), running, serverRoot, layout, parsed.Endpoints, findings);
    }

    private static async Task<IReadOnlyDictionary<string, string>> EnvVarsAsync(IFileSource files, CancellationToken cancellationToken)
    {
        var read = await files.ReadAsync("/etc/apache2/envvars", 64 * 1024, cancellationToken);
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (read.Text ?? "").Split('\n'))
        {
            var m = EnvVar().Match(line);
            if (m.Success)
            {
                vars[m.Groups[1].Value] = m.Groups[2].Value.Trim('"', '\'').Replace("$SUFFIX", "", StringComparison.Ordinal);
            }
        }

        return vars;
    }

    private static async Task<WebServerInfo> TomcatAsync(IRemoteHost host, IFileSource files, string catalinaBase, string? catalinaHome, bool running, CancellationToken cancellationToken)
    {
        var findings = new List<ConfigFinding>();
        var service = catalinaBase.Contains("tomcat10", StringComparison.Ordinal) || (catalinaHome?.Contains("tomcat10", StringComparison.Ordinal) ?? false) ? "tomcat10"
            : catalinaBase.Contains("tomcat9", StringComparison.Ordinal) || (catalinaHome?.Contains("tomcat9", StringComparison.Ordinal) ?? false) ? "tomcat9" : "tomcat";
        var home = catalinaHome ?? (service == "tomcat" ? "/usr/share/tomcat" : $"/usr/share/{service}");
        var version = await host.RunAsync(RemoteCommand.Script(PathPrefix + "CATALINA_HOME=$1 CATALINA_BASE=$2 sh \"$1/bin/version.sh\" 2>/dev/null", home, catalinaBase), cancellationToken);
        var file = catalinaBase.TrimEnd('/') + "/conf/server.xml";
        var read = await files.ReadAsync(file, ConfigLimits.MaxFileBytes, cancellationToken);
        IReadOnlyList<TlsEndpoint> endpoints = [];
        if (read.Text is null)
        {
            findings.Add(new ConfigFinding(read.Problem ?? $"cannot read {file}"));
        }
        else
        {
            var parsed = TomcatConfigParser.Parse(file, read.Text, catalinaBase);
            endpoints = parsed.Endpoints;
            findings.AddRange(parsed.Findings);
        }

        return new WebServerInfo(WebServerKind.Tomcat, service, Match(TomcatVersion(), version.Stdout), running, catalinaBase, catalinaBase, endpoints, findings);
    }

    private static string? Property(string cmdline, string name)
    {
        var m = Regex.Match(cmdline, "-D" + Regex.Escape(name) + "=(\\S+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        return m.Success ? m.Groups[1].Value : null;
    }

    private static string? Match(Regex regex, string text) => regex.Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"nginx/(\S+)")]
    private static partial Regex NginxVersion();

    [GeneratedRegex(@"Apache/(\S+)")]
    private static partial Regex ApacheVersion();

    [GeneratedRegex(@"Apache Tomcat/(\S+)")]
    private static partial Regex TomcatVersion();

    [GeneratedRegex("ServerRoot: \"([^\"]+)\"")]
    private static partial Regex ServerRoot();

    [GeneratedRegex(@"^\s*export\s+([A-Z_]+)=(.*)$")]
    private static partial Regex EnvVar();
}
