using Certfleet.Lab;

namespace Certfleet.Dns.Rfc2136.Tests;

/// <summary>One BIND per test class; the tests of a class use distinct names.</summary>
public sealed class BindFixture : IAsyncLifetime
{
    private BindServer? _server;

    public BindServer Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _server = await BindServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
