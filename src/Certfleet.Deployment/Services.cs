using Certfleet.Remote;
using Certfleet.WebServers;

namespace Certfleet.Deployment;

/// <summary>How one service on one host is tested and reloaded.</summary>
/// <param name="Test">The configuration test (<c>nginx -t</c>, <c>httpd -t</c>, <c>apache2ctl -t</c>); null for Tomcat, which has none.</param>
/// <param name="Restarts">True when the reload is a restart (Tomcat): verification then waits longer.</param>
public sealed record ServiceAction(string Service, WebServerKind Kind, RemoteCommand? Test, RemoteCommand Reload, bool Restarts)
{
    public string TestText => Test is null ? "-" : Display(Test);

    public string ReloadText => Display(Reload);

    private static string Display(RemoteCommand c)
    {
        var a = c.Arguments;
        if (a.Count >= 4 && a[0] == "sh" && a[1] == "-c")
        {
            var rest = string.Join(' ', a.Skip(4));
            return a[2] == Services.TomcatRestartScript ? $"tomcat restart (catalina.sh, CATALINA_BASE={a[5]})" : rest;
        }

        return c.ToString();
    }
}

/// <summary>Service names to actions, by the host's service manager: systemctl where PID 1 is systemd, else the server's own tools.</summary>
public static class Services
{
    /// <summary>$1 CATALINA_HOME, $2 CATALINA_BASE, $3 pid file. Stops the running Tomcat (keeping its -X JVM options) and starts it again.</summary>
    public const string TomcatRestartScript = WebServerDetector.PathPrefix + """
        home=$1 cbase=$2 pidf=$3
        pid=$( [ -f "$pidf" ] && cat "$pidf" )
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
          pid=
          for d in /proc/[0-9]*; do
            tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -q -- "-Dcatalina.base=$cbase " && { pid=${d#/proc/}; break; }
          done
        fi
        opts=
        if [ -n "$pid" ]; then
          opts=$(tr '\0' '\n' < "/proc/$pid/cmdline" | grep '^-X' | tr '\n' ' ')
          kill "$pid" 2>/dev/null || true
          i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
          kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidf"
        CATALINA_HOME=$home CATALINA_BASE=$cbase CATALINA_PID=$pidf JAVA_OPTS="$opts" sh "$home/bin/catalina.sh" start </dev/null >/dev/null 2>&1
        """;

    /// <summary>The action for a service name as written in <c>services:</c> or found by detection.</summary>
    public static ServiceAction? For(string service, bool systemd, string? catalinaBase = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        RemoteCommand Systemctl(string verb) => WebServerDetector.Sys("systemctl", verb, service);
        switch (service)
        {
            case "nginx":
                return new ServiceAction(service, WebServerKind.Nginx, WebServerDetector.Sys("nginx", "-t"), systemd ? Systemctl("reload") : WebServerDetector.Sys("nginx", "-s", "reload"), false);
            case "httpd":
                return new ServiceAction(service, WebServerKind.Apache, WebServerDetector.Sys("httpd", "-t"), systemd ? Systemctl("reload") : WebServerDetector.Sys("httpd", "-k", "graceful"), false);
            case "apache2":
                return new ServiceAction(service, WebServerKind.Apache, WebServerDetector.Sys("apache2ctl", "-t"), systemd ? Systemctl("reload") : WebServerDetector.Sys("apache2ctl", "-k", "graceful"), false);
            case "tomcat" or "tomcat9" or "tomcat10" or "tomcat11":
                var home = service == "tomcat" ? "/usr/share/tomcat" : $"/usr/share/{service}";
                var cbase = catalinaBase ?? (service == "tomcat" ? "/usr/share/tomcat" : $"/var/lib/{service}");
                return new ServiceAction(service, WebServerKind.Tomcat, null,
                    systemd ? Systemctl("restart") : RemoteCommand.Script(TomcatRestartScript, home, cbase, $"/run/{service}.pid"), true);
            default:
                return null;
        }
    }

    /// <summary>Actions for the web servers found on a host, or for the configured list.</summary>
    public static (IReadOnlyList<ServiceAction> Actions, IReadOnlyList<string> Unknown) Resolve(IReadOnlyList<string>? configured, IReadOnlyList<WebServerInfo> detected, bool systemd)
    {
        ArgumentNullException.ThrowIfNull(detected);
        var actions = new List<ServiceAction>();
        var unknown = new List<string>();
        var names = configured ?? detected.Select(d => d.Service).Distinct().ToList();
        foreach (var name in names)
        {
            var server = detected.FirstOrDefault(d => d.Service == name);
            if (For(name, systemd, server?.Kind == WebServerKind.Tomcat ? server.ConfigRoot : null) is { } action)
            {
                actions.Add(action);
            }
            else
            {
                unknown.Add(name);
            }
        }

        return (actions, unknown);
    }
}
