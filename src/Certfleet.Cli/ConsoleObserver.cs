using Certfleet.Engine;

namespace Certfleet.Cli;

/// <summary>
/// Shows each step as it happens: plain timestamped lines when output is redirected (logs, cron),
/// and the same lines plus in-place progress details on a terminal.
/// </summary>
internal sealed class ConsoleObserver(CliConsole console, TimeProvider time) : IIssueObserver
{
    private readonly Lock _gate = new();
    private string? _lastDetail;
    private bool _detailShown;

    public void Step(string certificate, string message)
    {
        lock (_gate)
        {
            EndDetail();
            console.Out.WriteLine(console.IsTerminal ? $"→ {certificate}: {message}" : $"{time.GetUtcNow():HH:mm:ss} {certificate}: {message}");
            _lastDetail = null;
        }
    }

    public void Detail(string certificate, string message)
    {
        lock (_gate)
        {
            if (message == _lastDetail)
            {
                return;
            }

            _lastDetail = message;
            if (console.IsTerminal)
            {
                // Rewrite one line in place: a progress display without drowning the steps.
                console.Out.Write($"\r\u001b[2K  {message}");
                _detailShown = true;
            }
            else
            {
                console.Out.WriteLine($"{time.GetUtcNow():HH:mm:ss} {certificate}:   {message}");
            }
        }
    }

    private void EndDetail()
    {
        if (_detailShown)
        {
            console.Out.WriteLine();
            _detailShown = false;
        }
    }
}
