using Certfleet.Remote;

namespace Certfleet.Deployment.Tests;

public sealed class RolloutTests
{
    private static readonly DeployTarget Target = new("0", ["@web"], DeployMethod.Push, "/etc/ssl/certfleet", null, "root", "root", null);

    private static List<DeployAssignment> Hosts(int n) => [.. Enumerable.Range(1, n).Select(i => new DeployAssignment(new SshHost($"h{i}", $"10.0.0.{i}"), Target))];

    [Fact]
    public void Canary_comes_alone_first_then_batches_in_inventory_order()
    {
        var batches = RolloutPlanner.Plan(Enumerable.Range(1, 8).ToList(), new RolloutOptions(Canary: 1, Batch: 3));
        Assert.Equal([[1], [2, 3, 4], [5, 6, 7], [8]], batches.Select(b => b.ToArray()));
        Assert.Equal([[1, 2], [3, 4, 5, 6, 7, 8]], RolloutPlanner.Plan(Enumerable.Range(1, 8).ToList(), new RolloutOptions(2, 10)).Select(b => b.ToArray()));
        Assert.Equal([[1, 2, 3], [4]], RolloutPlanner.Plan(Enumerable.Range(1, 4).ToList(), new RolloutOptions(0, 3)).Select(b => b.ToArray()));
        Assert.Equal([[1]], RolloutPlanner.Plan([1], new RolloutOptions(5, 3)).Select(b => b.ToArray()));
        Assert.Empty(RolloutPlanner.Plan(new List<int>(), new RolloutOptions()));
    }

    private static HostDeployResult Result(DeployAssignment a, HostOutcome outcome) =>
        new(a.Host.Name, a.Target.Name, a.Target.Method, "AB", outcome, outcome.ToString(), [], []);

    [Fact]
    public async Task A_failed_canary_stops_the_rollout_and_the_rest_are_skipped()
    {
        var started = new List<string>();
        var canaryCallback = 0;
        var (results, stopped) = await new RolloutRunner(new RolloutOptions(1, 2, 4)).RunAsync(Hosts(5), (a, _) =>
        {
            lock (started)
            {
                started.Add(a.Host.Name);
            }

            return Task.FromResult(Result(a, HostOutcome.RolledBack));
        }, (c, _) => { canaryCallback = c.Count; return Task.CompletedTask; }, "AB", TestContext.Current.CancellationToken);

        Assert.True(stopped);
        Assert.Equal(["h1"], started);
        Assert.Equal(1, canaryCallback);
        Assert.Equal([HostOutcome.RolledBack, HostOutcome.Skipped, HostOutcome.Skipped, HostOutcome.Skipped, HostOutcome.Skipped], results.Select(r => r.Outcome));
    }

    [Fact]
    public async Task A_failure_after_the_canary_does_not_stop_the_other_batches()
    {
        var order = new List<string>();
        var (results, stopped) = await new RolloutRunner(new RolloutOptions(1, 2, 1)).RunAsync(Hosts(5), (a, _) =>
        {
            lock (order)
            {
                order.Add(a.Host.Name);
            }

            return Task.FromResult(Result(a, a.Host.Name == "h2" ? HostOutcome.Unreachable : HostOutcome.Deployed));
        }, null, "AB", TestContext.Current.CancellationToken);

        Assert.False(stopped);
        Assert.Equal(["h1", "h2", "h3", "h4", "h5"], order);
        Assert.Equal(["h1", "h2", "h3", "h4", "h5"], results.Select(r => r.Host));
        Assert.Equal(HostOutcome.Unreachable, results[1].Outcome);
        Assert.Equal(4, results.Count(r => r.Succeeded));
    }

    [Fact]
    public async Task Hosts_of_a_batch_run_at_most_parallelism_at_a_time()
    {
        var running = 0;
        var peak = 0;
        await new RolloutRunner(new RolloutOptions(0, 6, 2)).RunAsync(Hosts(6), async (a, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(50, ct);
            Interlocked.Decrement(ref running);
            return Result(a, HostOutcome.Deployed);
        }, null, "AB", TestContext.Current.CancellationToken);
        Assert.Equal(2, peak);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public void Pending_hosts_are_those_without_the_serial_deployed()
    {
        var state = new DeploymentState("example", "AB", false, new Dictionary<string, HostDeployState>
        {
            ["h1"] = new("AB", "Deployed", DateTimeOffset.UnixEpoch),
            ["h2"] = new("AA", "Deployed", DateTimeOffset.UnixEpoch),
            ["h3"] = new("AB", "RolledBack", DateTimeOffset.UnixEpoch),
            ["h4"] = new("AB", "UpToDate", DateTimeOffset.UnixEpoch),
        });
        Assert.Equal(["h2", "h3", "h5"], state.Pending(["h1", "h2", "h3", "h4", "h5"], "AB"));
    }

    [Fact]
    public async Task State_file_round_trips_and_is_private()
    {
        var dir = Directory.CreateTempSubdirectory("cf-state-");
        try
        {
            var state = new DeploymentState("example", "AB", true, new Dictionary<string, HostDeployState> { ["h1"] = new("AB", "Deployed", DateTimeOffset.UnixEpoch, null) });
            await state.SaveAsync(dir.FullName, TestContext.Current.CancellationToken);
            var path = DeploymentState.PathOf(dir.FullName, "example");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var loaded = await DeploymentState.LoadAsync(dir.FullName, "example", TestContext.Current.CancellationToken);
            Assert.True(loaded!.InProgress);
            Assert.Equal("AB", loaded.Hosts["h1"].Serial);
            Assert.Null(await DeploymentState.LoadAsync(dir.FullName, "other", TestContext.Current.CancellationToken));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
