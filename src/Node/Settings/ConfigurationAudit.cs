using Microsoft.Extensions.Configuration;

namespace Rtmfp.Node.Settings;

/// <summary>
/// What is legal but probably wrong in a node's configuration, said once at startup as warnings: an Rtmfp: key the node
/// never reads (a typo in appsettings.json or in an RTMFP_ environment variable is otherwise silently ignored), and a
/// gateway in a multi-node cluster without the shared cookie secret (a client moving between gateways would fail).
/// </summary>
internal static class ConfigurationAudit
{
    public static IReadOnlyList<string> Warnings(IConfiguration configuration, SettingsReader reader, NodeSettings settings)
    {
        var warnings = new List<string>();
        var known = reader.KeysRead;
        foreach (var (key, value) in configuration.GetSection(NodeSettings.Section).AsEnumerable())
        {
            if (value is null || IsKnown(key, known, reader.KnownSections))
            {
                continue;
            }
            string environment = NodeSettings.EnvironmentPrefix + key[(NodeSettings.Section.Length + 1)..].Replace(":", "__", StringComparison.Ordinal);
            bool fromEnvironment = Environment.GetEnvironmentVariable(environment) is not null;
            string? suggestion = Closest(key, known);
            warnings.Add($"{key}{(fromEnvironment ? $" (environment variable {environment})" : "")} is not a setting of this node and is ignored"
                + (suggestion is null ? "" : $"; did you mean {suggestion}?"));
        }
        if (settings.Roles.HasFlag(NodeRoles.Gateway) && settings.Cluster.SeedNodes.Count > 0 && settings.Gateway.CookieSecret is null)
        {
            warnings.Add($"{NodeSettings.Section}:Gateway:CookieSecret is not set on a node with {NodeSettings.Section}:Cluster:SeedNodes: each gateway "
                + "makes its own, so a client that moves to another gateway of the cluster (load balancer, failover) cannot finish its handshake "
                + "there; set the same secret on every gateway (openssl rand -hex 32)");
        }
        return warnings;
    }

    /// <summary>Read by the node, an item of a list it read (Key:0, Key:1 …), or inside a section it reads whole.</summary>
    private static bool IsKnown(string key, IReadOnlyCollection<string> known, IReadOnlyList<string> sections)
    {
        if (known.Contains(key))
        {
            return true;
        }
        int colon = key.LastIndexOf(':');
        if (colon > 0 && key.AsSpan(colon + 1).ContainsAnyExceptInRange('0', '9') == false && known.Contains(key[..colon]))
        {
            return true;
        }
        foreach (var section in sections)
        {
            if (key.Equals(section, StringComparison.OrdinalIgnoreCase) || key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        // A section itself (Rtmfp:Gateway) holds no value; a key below a known one is not known for that.
        return false;
    }

    /// <summary>The known key nearest to <paramref name="key"/> by edit distance, when it is a plausible typo.</summary>
    private static string? Closest(string key, IReadOnlyCollection<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            int d = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }
        return bestDistance <= Math.Max(2, key.Length / 8) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
