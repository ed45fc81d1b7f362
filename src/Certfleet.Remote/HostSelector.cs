namespace Certfleet.Remote;

/// <summary>Resolves command-line selections (<c>HOST</c> or <c>@GROUP</c>) to hosts.</summary>
public static class HostSelector
{
    /// <summary>
    /// The hosts named by <paramref name="selectors"/> in configuration order, each once; all hosts when none is given.
    /// Unknown names are returned in <c>Errors</c> rather than thrown.
    /// </summary>
    public static (IReadOnlyList<SshHost> Hosts, IReadOnlyList<string> Errors) Select(FleetConfig fleet, IEnumerable<string> selectors)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(selectors);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<string>();
        var any = false;
        foreach (var selector in selectors)
        {
            any = true;
            if (selector.StartsWith('@'))
            {
                var group = selector[1..];
                if (!fleet.Groups.TryGetValue(group, out var members))
                {
                    errors.Add($"inventory: unknown group '{group}'; groups are: {string.Join(", ", fleet.Groups.Keys.Order(StringComparer.Ordinal))}");
                    continue;
                }

                wanted.UnionWith(members);
            }
            else if (fleet.Hosts.Any(h => h.Name == selector))
            {
                wanted.Add(selector);
            }
            else
            {
                errors.Add($"inventory: unknown host '{selector}'; define it under hosts: or in the Ansible inventory");
            }
        }

        var hosts = any ? fleet.Hosts.Where(h => wanted.Contains(h.Name)).ToList() : fleet.Hosts.ToList();
        return (hosts, errors);
    }

    internal static bool IsValidName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
