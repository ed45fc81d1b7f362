using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Certfleet.Store.Tests;

public sealed class RunLockTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_second_taker_in_the_same_process_learns_who_holds_it()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        RunLockResult first = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
        Assert.True(first.Acquired);

        RunLockResult second;
        using (first.Lock)
        {
            second = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
            Assert.False(second.Acquired);
            Assert.Null(second.Lock);
            Assert.Equal(new RunLockHolder(Environment.ProcessId, Environment.MachineName, _time.GetUtcNow()), second.HeldBy);
            Assert.Contains($"pid {Environment.ProcessId}", second.Describe(), StringComparison.Ordinal);
            Assert.Equal(Certs.File0600, Certs.Mode(Path.Combine(_dir.State, "certfleet.lock")));
        }

        // Released: emptied, and takeable again.
        Assert.Equal(0, new FileInfo(first.Path).Length);
        RunLockResult third = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
        Assert.True(third.Acquired);
        await third.Lock!.DisposeAsync();
    }

    [Fact]
    public async Task Another_process_cannot_flock_it_while_held()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        RunLockResult held = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
        Assert.True(held.Acquired);
        Assert.Equal(42, await RunFlockAsync(["-n", "-E", "42", held.Path, "true"], ct));

        held.Lock!.Dispose();
        Assert.Equal(0, await RunFlockAsync(["-n", "-E", "42", held.Path, "true"], ct));
    }

    [Fact]
    public async Task A_lock_held_by_another_process_is_reported_with_its_details()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_dir.State);
        string path = Path.Combine(_dir.State, "certfleet.lock");
        const string details = """{"processId":4242,"hostName":"other-host","startedAt":"2025-02-01T00:00:00+00:00"}""";
        var start = new ProcessStartInfo("flock") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { path, "sh", "-c", $"printf '%s' '{details}' > '{path}'; echo locked; exec sleep 30" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process child = Process.Start(start)!;
        try
        {
            Assert.Equal("locked", await child.StandardOutput.ReadLineAsync(ct));

            RunLockResult result = await RunLock.TryAcquireAsync(_dir.State, _time, ct);

            Assert.False(result.Acquired);
            Assert.Equal(new RunLockHolder(4242, "other-host", new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero)), result.HeldBy);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(ct);
        }

        // The kernel drops the lock once the last process holding the descriptor (flock's child) is gone;
        // that one is not waited for above, so allow it a moment.
        RunLockResult after = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
        for (int i = 0; i < 50 && !after.Acquired; i++)
        {
            await Task.Delay(100, ct);
            after = await RunLock.TryAcquireAsync(_dir.State, _time, ct);
        }

        Assert.True(after.Acquired, after.Describe());
        after.Lock!.Dispose();
    }

    private static async Task<int> RunFlockAsync(string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        await process.WaitForExitAsync(ct);
        return process.ExitCode;
    }
}
