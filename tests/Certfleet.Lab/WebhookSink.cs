using System.Collections.Concurrent;
using System.Net;

namespace Certfleet.Lab;

/// <summary>A real HttpListener on loopback that records each request body and answers with a chosen status.</summary>
public sealed class WebhookSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    /// <summary>Starts listening on a free loopback port; every request is answered with <paramref name="status"/>.</summary>
    public WebhookSink(HttpStatusCode status = HttpStatusCode.OK)
    {
        // The free port may be taken again before the listener binds it: try another one.
        for (var attempt = 0; ; attempt++)
        {
            Port = SmtpSink.FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                try
                {
                    using var reader = new StreamReader(context.Request.InputStream);
                    Requests.Enqueue((context.Request.ContentType ?? "", await reader.ReadToEndAsync()));
                    context.Response.StatusCode = (int)status;
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    // The client went away mid-request, or the sink is closing: the loop test decides.
                }
            }
        });
    }

    /// <summary>The loopback port the sink listens on.</summary>
    public int Port { get; }

    /// <summary>A URL on the sink whose path carries a token, as real webhook URLs do.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/hook/secret-token");

    /// <summary>Each request received so far, in order.</summary>
    public ConcurrentQueue<(string ContentType, string Body)> Requests { get; } = new();

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
