using Certfleet.Configuration;

namespace Certfleet.Remote.Tests;

public sealed class AnsibleAndOptionsTests
{
    [Fact]
    public void Ini_inventory_with_groups_children_vars_and_ranges()
    {
        var ini = """
            # fleet
            mail.example.com

            [webservers]
            web1 ansible_host=10.0.0.11 ansible_port=2222 ansible_user=deploy   ; comment
            web[01:02].example.com

            [dbservers]
            db1 ansible_host=10.0.0.21 ansible_become=true

            [prod:children]
            webservers
            dbservers

            [prod:vars]
            ansible_user=ops
            ansible_ssh_private_key_file="/etc/certfleet/id_ed25519"
            """;
        var import = AnsibleInventory.ParseIni(ini);
        var web1 = import.Hosts.Single(h => h.Name == "web1");
        Assert.Equal(new SshHost("web1", "10.0.0.11", 2222, "deploy", "/etc/certfleet/id_ed25519", false), web1 with { Groups = null });
        var db1 = import.Hosts.Single(h => h.Name == "db1");
        Assert.Equal(("10.0.0.21", "ops", true), (db1.Address, db1.User, db1.Sudo));
        Assert.Equal(["web1", "web01.example.com", "web02.example.com"], import.Groups["webservers"]);
        Assert.Equal(["web1", "web01.example.com", "web02.example.com", "db1"], import.Groups["prod"]);
        Assert.Equal("root", import.Hosts.Single(h => h.Name == "mail.example.com").User);
        Assert.Empty(import.Warnings);
    }

    [Fact]
    public void Yaml_inventory_gives_the_same_hosts_as_ini()
    {
        var yaml = """
            all:
              hosts:
                mail.example.com:
              children:
                prod:
                  vars:
                    ansible_user: ops
                  children:
                    webservers:
                      hosts:
                        web1:
                          ansible_host: 10.0.0.11
                          ansible_port: 2222
                          ansible_user: deploy
                    dbservers:
                      hosts:
                        db1: { ansible_host: 10.0.0.21, ansible_become: yes }
            """;
        var import = AnsibleInventory.ParseYaml(yaml);
        var web1 = import.Hosts.Single(h => h.Name == "web1");
        Assert.Equal(("10.0.0.11", 2222, "deploy"), (web1.Address, web1.Port, web1.User));
        Assert.Equal(("ops", true), (import.Hosts.Single(h => h.Name == "db1").User, import.Hosts.Single(h => h.Name == "db1").Sudo));
        Assert.Equal(["web1", "db1"], import.Groups["prod"]);
        Assert.Contains("mail.example.com", import.Hosts.Select(h => h.Name));
    }

    [Fact]
    public void Options_read_hosts_groups_and_ssh_with_defaults_and_selection()
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse("""
            hosts:
              web1: { address: 10.0.0.11, user: certfleet, port: 22, identityFile: /etc/certfleet/id_ed25519, sudo: true }
              web2: { address: web2.example.com }
            groups:
              web: [web1, web2]
            inventory:
              ansible: /etc/ansible/hosts
            ssh:
              knownHosts: /etc/certfleet/known_hosts
              parallelism: 4
              connectTimeout: 5s
              jumpHost: ops@bastion.example.com:2200
            """, "certfleet.yaml", errors);
        var fleet = FleetOptions.Read(root);
        Assert.False(errors.HasErrors, string.Join("; ", errors.All));
        Assert.Equal(new SshHost("web2", "web2.example.com"), fleet.Hosts[1]);
        Assert.True(fleet.Hosts[0].Sudo);
        Assert.Equal((4, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2)), (fleet.Ssh.Parallelism, fleet.Ssh.EffectiveConnectTimeout, fleet.Ssh.EffectiveCommandTimeout));
        Assert.Equal(new JumpHostSpec("bastion.example.com", 2200, "ops"), JumpHostSpec.TryParse(fleet.Ssh.JumpHost!));
        Assert.Equal("/etc/ansible/hosts", fleet.AnsibleInventory);

        var (hosts, selectErrors) = HostSelector.Select(fleet, ["@web", "web1", "nope", "@none"]);
        Assert.Equal(["web1", "web2"], hosts.Select(h => h.Name));
        Assert.Equal(2, selectErrors.Count);
        Assert.Equal(2, HostSelector.Select(fleet, []).Hosts.Count);
    }

    [Fact]
    public void Options_errors_carry_file_and_line()
    {
        var errors = new ConfigErrors();
        var root = ConfigNode.Parse("hosts:\n  web1: { user: x, prot: 22 }\ngroups:\n  web: [web1, ghost]\nssh:\n  parallelism: 0\n", "c.yaml", errors);
        FleetOptions.Read(root);
        var all = errors.All.Select(e => e.ToString()).ToList();
        Assert.Contains(all, e => e.StartsWith("c.yaml:2:", StringComparison.Ordinal) && e.Contains("did you mean 'port'", StringComparison.Ordinal));
        Assert.Contains(all, e => e.Contains("hosts.web1.address is required", StringComparison.Ordinal));
        Assert.Contains(all, e => e.StartsWith("c.yaml:4:", StringComparison.Ordinal) && e.Contains("unknown host 'ghost'", StringComparison.Ordinal));
        Assert.Contains(all, e => e.Contains("ssh.parallelism", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_key_is_documented()
    {
        Assert.All(FleetOptions.Schemas.SelectMany(s => s.Keys).Concat(FleetOptions.TopLevelKeys), k =>
        {
            Assert.False(string.IsNullOrWhiteSpace(k.Description));
            Assert.True(k.Example is not null || k.Default is not null || k.Kind == ConfigValueKind.Section, k.Name);
        });
    }
}
