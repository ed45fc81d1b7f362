using System.CommandLine;
using Certfleet.Engine;
using Certfleet.Engine.Renewal;
using Certfleet.Notifications;

namespace Certfleet.Cli;

internal static class NotifyCommand
{
    internal static Command Create(CliConsole console)
    {
        var test = new Command("test", "Send a test message to every configured channel; exit 1 when one fails");
        Commands.Run(test, console, async (parse, runtime, ct) =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var notifier = RenewWorkflow.CreateNotifier(runtime, http)
                ?? throw new UsageException($"certfleet: no notification channel in {runtime.Settings.File}; add notifications.smtp or notifications.webhooks");
            var results = await notifier.SendAsync(new Notification(NotificationEvent.Test, "", "This is a test message from certfleet: this channel works.", runtime.Time.GetUtcNow()), ct);
            foreach (var r in results)
            {
                await (r.Delivered ? console.Out : console.Error).WriteLineAsync(r.Delivered ? $"{r.Channel}: sent" : $"{r.Channel}: FAILED: {r.Error}");
            }

            return results.All(r => r.Delivered) ? ExitCodes.Success : ExitCodes.Failure;
        });
        var command = new Command("notify", "Notification channels (e-mail, webhooks)");
        command.Subcommands.Add(test);
        return command;
    }
}
