using System.CommandLine;
using Certfleet.Dns;
using Certfleet.Dns.Ovh;
using Certfleet.Dns.Rfc2136;
using Certfleet.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Certfleet.Cli;

/// <summary>The composition root: extension points are registered here by name, explicitly.</summary>
internal static class CliHost
{
    public static ServiceProvider BuildServices(CliConsole console, bool verbose)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
            logging.AddFilter("System.Net.Http", LogLevel.Warning);
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(console);

        // DNS providers, looked up by their type name.
        services.AddSingleton<IDnsProviderFactory, Rfc2136ProviderFactory>();
        services.AddSingleton<IDnsProviderFactory, OvhProviderFactory>();
        services.AddSingleton<DnsProviderRegistry>();
        services.AddSingleton(sp => new DnsProviderContext(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SettingsLoader>();

        // Post-issue actions (Certfleet.Engine.Renewal.IPostIssueAction) registered here run after each renewal,
        // before the deployment that renew and run always add.
        return services.BuildServiceProvider();
    }

    /// <summary>Loads and validates the configuration named by --config (or the defaults).</summary>
    public static CertfleetRuntime LoadRuntime(ServiceProvider services, ParseResult parse, CliConsole console)
    {
        var path = SettingsLoader.Locate(parse.GetValue(CliApplication.ConfigOption), console.Environment);
        var settings = services.GetRequiredService<SettingsLoader>().Load(path, console.Environment);
        return new CertfleetRuntime(settings, services.GetRequiredService<ILoggerFactory>(), services.GetRequiredService<TimeProvider>());
    }
}
