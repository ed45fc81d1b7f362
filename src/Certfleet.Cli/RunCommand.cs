using System.CommandLine;
using System.Runtime.InteropServices;
using Certfleet.Engine;
using Certfleet.Engine.Renewal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Certfleet.Cli;

/// <summary>
/// 'certfleet run': a long-running service that renews on its own clock (renewal.checkInterval, sooner when
/// a certificate becomes due or a back-off ends), reloads certfleet.yaml on SIGHUP and stops on SIGTERM
/// after the current step has removed its DNS records.
/// </summary>
internal static partial class RunCommand
{
    internal static Command Create(CliConsole console)
    {
        var command = new Command("run", "Run as a service: renew on its own clock, reload the configuration on SIGHUP, stop cleanly on SIGTERM");
        command.SetAction(async (parse, ct) =>
        {
            var verbose = parse.GetValue(CliApplication.VerboseOption);
            var configPath = SettingsLoader.Locate(parse.GetValue(CliApplication.ConfigOption), console.Environment);
            using var services = CliHost.BuildServices(console, verbose);
            // Load once up front so that a broken configuration fails the start (exit 2), not a later cycle.
            using (CliHost.LoadRuntime(services, parse, console))
            {
            }

            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSystemd();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
            // The service's own messages (loaded, next check) go through the host's logging, at Information.
            builder.Services.AddSingleton(sp => new RenewService(services, configPath, console, sp.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RenewService>());
            using var host = builder.Build();
            await host.RunAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }

    internal sealed partial class RenewService(ServiceProvider services, string configPath, CliConsole console, ILoggerFactory hostLogging) : BackgroundService
    {
        private readonly SemaphoreSlim _wake = new(0);
        private volatile bool _reload;

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var logger = hostLogging.CreateLogger("Certfleet.Run");
            var time = services.GetRequiredService<TimeProvider>();
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _reload = true;
                _wake.Release();
            });

            var settings = Load(logger);
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_reload)
                {
                    _reload = false;
                    settings = Load(logger) ?? settings;
                }

                var wait = TimeSpan.FromMinutes(5);
                if (settings is not null)
                {
                    wait = settings.Renewal.CheckInterval;
                    using var runtime = new CertfleetRuntime(settings, services.GetRequiredService<ILoggerFactory>(), time);
                    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                    var workflow = new RenewWorkflow(runtime, [.. services.GetServices<IPostIssueAction>(), new Certfleet.Engine.Deploy.DeployPostIssueAction(runtime, new Certfleet.Engine.Deploy.HistoryDeployRecorder(RenewWorkflow.CreateHistory(runtime)))], RenewWorkflow.CreateNotifier(runtime, http));
                    try
                    {
                        var result = await workflow.RunAsync(new RenewOptions(), new ConsoleObserver(console, time), stoppingToken);
                        await RenewCommand.PrintAsync(console, result, dryRun: false);
                        wait = NextWait(result, time.GetUtcNow(), settings.Renewal.CheckInterval);
                    }
                    catch (RunLockHeldException e)
                    {
                        LogSkipped(logger, e.Message);
                        wait = TimeSpan.FromMinutes(5);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogCycleFailed(logger, ErrorMapper.Map(e).Message);
                        wait = TimeSpan.FromMinutes(15);
                    }
                }

                LogNext(logger, wait);
                try
                {
                    await _wake.WaitAsync(wait, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        /// <summary>The check interval, or sooner when a certificate becomes due or its back-off ends before that.</summary>
        internal static TimeSpan NextWait(RenewRunResult result, DateTimeOffset now, TimeSpan interval)
        {
            var next = result.Certificates
                .Select(c => c.Decision.RenewAt)
                .OfType<DateTimeOffset>()
                .Where(t => t > now)
                .DefaultIfEmpty(now + interval)
                .Min();
            var wait = next - now;
            return wait < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : wait > interval ? interval : wait;
        }

        private CertfleetSettings? Load(ILogger logger)
        {
            try
            {
                var settings = services.GetRequiredService<SettingsLoader>().Load(configPath, console.Environment);
                LogLoaded(logger, configPath, settings.Certificates.Count);
                return settings;
            }
            catch (Exception e) when (e is Certfleet.Configuration.ConfigurationException or IOException or UsageException)
            {
                LogConfigRejected(logger, e.Message);
                return null;
            }
        }

        public override void Dispose()
        {
            _wake.Dispose();
            base.Dispose();
        }

        [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Loaded {Path}: {Count} certificate(s)")]
        private static partial void LogLoaded(ILogger logger, string path, int count);

        [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "Configuration not (re)loaded, keeping the previous one: {Error}")]
        private static partial void LogConfigRejected(ILogger logger, string error);

        [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Renewal skipped: {Reason}")]
        private static partial void LogSkipped(ILogger logger, string reason);

        [LoggerMessage(EventId = 903, Level = LogLevel.Error, Message = "Renewal cycle failed: {Error}")]
        private static partial void LogCycleFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "Next check in {Wait}")]
        private static partial void LogNext(ILogger logger, TimeSpan wait);
    }
}
