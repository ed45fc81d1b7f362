using Certfleet.Configuration;

namespace Certfleet.Remote;

/// <summary>One server certfleet reaches over SSH.</summary>
public sealed record SshHost(
    string Name,
    string Address,
    int Port = 22,
    string User = "root",
    string? IdentityFile = null,
    bool Sudo = false,
    IReadOnlyList<string>? Groups = null);

/// <summary>How SSH connections are made (the <c>ssh:</c> section).</summary>
public sealed record SshSettings(
    string KnownHostsFile,
    int Parallelism = 16,
    TimeSpan? ConnectTimeout = null,
    TimeSpan? CommandTimeout = null,
    string? JumpHost = null)
{
    public TimeSpan EffectiveConnectTimeout => ConnectTimeout ?? TimeSpan.FromSeconds(10);

    public TimeSpan EffectiveCommandTimeout => CommandTimeout ?? TimeSpan.FromMinutes(2);
}

/// <summary>The hosts, groups and SSH settings of a configuration.</summary>
public sealed record FleetConfig(
    IReadOnlyList<SshHost> Hosts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Groups,
    string? AnsibleInventory,
    SshSettings Ssh);

/// <summary>Configuration keys of <c>hosts:</c>, <c>groups:</c>, <c>inventory:</c> and <c>ssh:</c>.</summary>
public static class FleetOptions
{
    public static readonly ConfigKey Address = new("address", ConfigValueKind.String,
        "DNS name or IP address certfleet connects to.", Example: "10.0.0.11", Required: true);

    public static readonly ConfigKey User = new("user", ConfigValueKind.String,
        "SSH user name on the host.", Default: "root", Example: "certfleet");

    public static readonly ConfigKey Port = new("port", ConfigValueKind.Integer,
        "SSH port of the host.", Default: "22", Example: "2222");

    public static readonly ConfigKey IdentityFile = new("identityFile", ConfigValueKind.String,
        "Private key file (OpenSSH format: ed25519, ecdsa or rsa; mode 0600) used to log in.", Example: "/etc/certfleet/id_ed25519");

    public static readonly ConfigKey Sudo = new("sudo", ConfigValueKind.Boolean,
        "Run commands through 'sudo -n' (the user needs password-less sudo); set it when user is not root.", Default: "false", Example: "true");

    public static readonly ConfigSectionSchema HostSchema = new("hosts.NAME",
        "One server of the fleet, reached over SSH.", [Address, User, Port, IdentityFile, Sudo]);

    public static readonly ConfigKey Hosts = new("hosts", ConfigValueKind.NamedSections,
        "The servers of the fleet: host name → connection settings. Select them on the command line by name.",
        Example: "web1: { address: 10.0.0.11, user: certfleet, sudo: true }", SectionPath: "hosts.NAME");

    public static readonly ConfigKey Groups = new("groups", ConfigValueKind.Section,
        "Named lists of hosts; select a group on the command line as @NAME.", Example: "web: [web1, web2]");

    public static readonly ConfigKey Ansible = new("ansible", ConfigValueKind.String,
        "An Ansible inventory file (INI or YAML) whose hosts and groups are added to those of hosts: and groups:.",
        Example: "/etc/ansible/hosts");

    public static readonly ConfigSectionSchema InventorySchema = new("inventory",
        "Where hosts come from besides hosts:.", [Ansible]);

    public static readonly ConfigKey Inventory = new("inventory", ConfigValueKind.Section,
        "Imports of existing inventories.", SectionPath: "inventory");

    public static readonly ConfigKey KnownHosts = new("knownHosts", ConfigValueKind.String,
        "OpenSSH known_hosts file of the fleet's host keys. Unknown or changed keys are refused; record one with 'certfleet hosts trust HOST'.",
        Default: "/etc/certfleet/known_hosts", Example: "/etc/certfleet/known_hosts");

    public static readonly ConfigKey Parallelism = new("parallelism", ConfigValueKind.Integer,
        "How many hosts are contacted at the same time.", Default: "16", Example: "32");

    public static readonly ConfigKey ConnectTimeout = new("connectTimeout", ConfigValueKind.Duration,
        "How long to wait for a host to accept the SSH connection before reporting it unreachable.", Default: "10s", Example: "5s");

    public static readonly ConfigKey CommandTimeout = new("commandTimeout", ConfigValueKind.Duration,
        "How long one remote command may run.", Default: "2m", Example: "30s");

    public static readonly ConfigKey JumpHost = new("jumpHost", ConfigValueKind.String,
        "Bastion to tunnel every connection through, as [user@]host[:port]; its key must be in knownHosts too.",
        Example: "certfleet@bastion.example.com:22");

    public static readonly ConfigSectionSchema SshSchema = new("ssh",
        "How certfleet connects to hosts.", [KnownHosts, Parallelism, ConnectTimeout, CommandTimeout, JumpHost]);

    public static readonly ConfigKey Ssh = new("ssh", ConfigValueKind.Section, "SSH connection settings.", SectionPath: "ssh");

    /// <summary>Every schema this project defines, for the generated reference.</summary>
    public static IReadOnlyList<ConfigSectionSchema> Schemas => [HostSchema, InventorySchema, SshSchema];

    /// <summary>The top-level keys this project reads.</summary>
    public static IReadOnlyList<ConfigKey> TopLevelKeys => [Hosts, Groups, Inventory, Ssh];

    /// <summary>
    /// Reads the fleet from the root node; errors go to <c>root.Errors</c>. The Ansible inventory
    /// is only named here: load it with <see cref="AnsibleInventory"/> and merge with <see cref="Merge"/>.
    /// </summary>
    public static FleetConfig Read(ConfigNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var hosts = new List<SshHost>();
        foreach (var (name, node) in root.GetNamedSections(Hosts))
        {
            node.RejectUnknownKeys(HostSchema);
            var address = node.GetString(Address);
            if (!HostSelector.IsValidName(name))
            {
                node.AddError($"hosts.{name}: a host name may hold letters, digits, '.', '-' and '_' only");
            }

            if (address is null)
            {
                continue;
            }

            hosts.Add(new SshHost(name, address, node.GetInt(Port, 1, 65535) ?? 22, node.GetString(User) ?? "root",
                node.GetString(IdentityFile), node.GetBool(Sudo) ?? false));
        }

        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (root.GetSection(Groups) is { } groupNode)
        {
            foreach (var group in groupNode.Keys.ToList())
            {
                var key = new ConfigKey(group, ConfigValueKind.StringList, "hosts of the group");
                var members = groupNode.GetStringList(key);
                foreach (var (member, location) in members)
                {
                    if (hosts.All(h => h.Name != member))
                    {
                        root.Errors.Add(location, $"groups.{group}: unknown host '{member}'; define it under hosts:");
                    }
                }

                groups[group] = members.Select(m => m.Value).ToList();
            }
        }

        string? ansible = null;
        if (root.GetSection(Inventory) is { } inventory)
        {
            inventory.RejectUnknownKeys(InventorySchema);
            ansible = inventory.GetString(Ansible);
        }

        var settings = new SshSettings(KnownHosts.Default!);
        if (root.GetSection(Ssh) is { } ssh)
        {
            ssh.RejectUnknownKeys(SshSchema);
            settings = new SshSettings(
                ssh.GetString(KnownHosts) ?? KnownHosts.Default!,
                ssh.GetInt(Parallelism, 1, 1024) ?? 16,
                ssh.GetDuration(ConnectTimeout),
                ssh.GetDuration(CommandTimeout),
                ssh.GetString(JumpHost));
            if (settings.JumpHost is { } jump && JumpHostSpec.TryParse(jump) is null)
            {
                ssh.AddError(JumpHost, $"'{jump}' is not [user@]host[:port]");
            }
        }

        return new FleetConfig(hosts, groups, ansible, settings);
    }

    /// <summary>Adds imported hosts and groups; hosts of the configuration win over imported ones of the same name.</summary>
    public static FleetConfig Merge(FleetConfig config, AnsibleImport imported)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(imported);
        var hosts = config.Hosts.ToList();
        hosts.AddRange(imported.Hosts.Where(h => config.Hosts.All(c => c.Name != h.Name)));
        var groups = new Dictionary<string, IReadOnlyList<string>>(config.Groups, StringComparer.Ordinal);
        foreach (var (name, members) in imported.Groups)
        {
            groups[name] = groups.TryGetValue(name, out var existing) ? existing.Union(members).ToList() : members;
        }

        return config with { Hosts = hosts, Groups = groups };
    }
}

/// <summary>A bastion written as <c>[user@]host[:port]</c>.</summary>
public sealed record JumpHostSpec(string Address, int Port, string? User)
{
    public static JumpHostSpec? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? user = null;
        var rest = text.Trim();
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            user = rest[..at];
            rest = rest[(at + 1)..];
        }

        var port = 22;
        var colon = rest.LastIndexOf(':');
        if (colon > 0 && !rest.StartsWith('['))
        {
            if (!int.TryParse(rest[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                return null;
            }

            rest = rest[..colon];
        }

        return rest.Length == 0 || (user is { Length: 0 }) ? null : new JumpHostSpec(rest, port, user);
    }
}
