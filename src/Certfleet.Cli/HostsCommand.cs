using System.CommandLine;
using Certfleet.Engine;
using Certfleet.Remote;
using Microsoft.Extensions.Logging;

namespace Certfleet.Cli;

internal static class HostsCommand
{
    internal static Command Create(CliConsole console)
    {
        var command = new Command("hosts", "List the fleet's hosts and record their SSH host keys");

        var list = new Command("list", "List hosts (configuration and Ansible inventory) with groups and whether their host key is recorded");
        Commands.Run(list, console, async (parse, runtime, ct) =>
        {
            var fleet = runtime.Settings.Fleet;
            var known = KnownHosts.Load(fleet.Ssh.KnownHostsFile);
            foreach (var h in fleet.Hosts)
            {
                var groups = fleet.Groups.Where(g => g.Value.Contains(h.Name)).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
                var key = known.For(h.Address, h.Port).Any() ? "key recorded" : "key NOT recorded (run 'certfleet hosts trust " + h.Name + "')";
                await console.Out.WriteLineAsync($"{h.Name}\t{h.User}@{h.Address}:{h.Port}{(h.Sudo ? " (sudo)" : "")}\tgroups: {(groups.Count == 0 ? "-" : string.Join(",", groups))}\t{key}");
            }

            if (fleet.Hosts.Count == 0)
            {
                await console.Out.WriteLineAsync($"no hosts in {runtime.Settings.File}; add them under hosts:");
            }

            return ExitCodes.Success;
        });

        var yes = new Option<bool>("--yes") { Description = "Record the key without asking (only after checking the fingerprint another way)" };
        var name = new Argument<string>("host") { Description = "Host name from the configuration" };
        var trust = new Command("trust", "Show the SSH host key a host presents and record it in ssh.knownHosts after confirmation") { name, yes };
        Commands.Run(trust, console, async (parse, runtime, ct) =>
        {
            var hosts = FleetOutput.Select(runtime, [parse.GetValue(name)!]);
            var host = hosts.Single();
            var connector = new SshConnector(runtime.Settings.Fleet.Ssh, runtime.LoggerFactory.CreateLogger<SshConnector>());
            var (probe, failure) = await connector.FetchHostKeyAsync(host, ct);
            if (probe is null)
            {
                throw new CertfleetException($"{failure!.Message}; {failure.Fix}");
            }

            var file = runtime.Settings.Fleet.Ssh.KnownHostsFile;
            await console.Out.WriteLineAsync($"{host.Name} ({KnownHosts.HostName(probe.Address, probe.Port)}) presents {probe.KeyType} {probe.Fingerprint}");
            switch (probe.Current.Status)
            {
                case HostKeyStatus.Trusted:
                    await console.Out.WriteLineAsync($"already recorded in {file} (line {probe.Current.Recorded?.Line}); nothing to do");
                    return ExitCodes.Success;
                case HostKeyStatus.Changed:
                    await console.Out.WriteLineAsync($"WARNING: {file} line {probe.Current.Recorded!.Line} records {probe.Current.Recorded.KeyType} {probe.Current.Recorded.Fingerprint} for this host: the key CHANGED.");
                    break;
                case HostKeyStatus.Revoked:
                    throw new CertfleetException($"ssh: {file} line {probe.Current.Recorded!.Line} marks this key @revoked; give the host a new host key");
                default:
                    await console.Out.WriteLineAsync($"not in {file} yet.");
                    break;
            }

            await console.Out.WriteLineAsync($"Compare it with 'ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub' run on the host itself.");
            if (!parse.GetValue(yes))
            {
                await console.Out.WriteAsync($"Record this key for {host.Name} in {file}? [y/N] ");
                await console.Out.FlushAsync(ct);
                var answer = Console.IsInputRedirected && Console.In.Peek() < 0 ? null : await Console.In.ReadLineAsync(ct);
                if (answer?.Trim().ToLowerInvariant() is not ("y" or "yes"))
                {
                    await console.Out.WriteLineAsync();
                    await console.Error.WriteLineAsync("hosts: nothing recorded; answer 'y', or pass --yes once the fingerprint is verified");
                    return ExitCodes.Failure;
                }
            }

            connector.Trust(probe);
            await console.Out.WriteLineAsync($"recorded {probe.KeyType} {probe.Fingerprint} for {KnownHosts.HostName(probe.Address, probe.Port)} in {file}");
            return ExitCodes.Success;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(trust);
        return command;
    }
}
