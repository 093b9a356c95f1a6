using Microsoft.Extensions.Configuration;
using Rtmfp.Flash;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Node.Settings;

/// <summary>
/// Rtmfp:Groups:Seeds:N: a stream published to the node (<c>Stream</c>, <c>application/name</c>) that a server member
/// seeds into a group (<c>Group</c>, the specifier text, which the member must know: its group handshake proves it,
/// docs/groups.md §6.2, §7).
/// </summary>
internal sealed record GroupSeedSettings(GroupSpecifier Specifier, StreamKey Stream)
{
    /// <summary>More would only multiply the handshake front's per-IHello scan and the per-node fan-outs.</summary>
    public const int MaxSeeds = 16;

    public static IReadOnlyList<GroupSeedSettings> Read(IConfiguration configuration, SettingsReader r)
    {
        var seeds = new List<GroupSeedSettings>();
        foreach (var child in configuration.GetSection($"{NodeSettings.Section}:Groups:Seeds").GetChildren())
        {
            string key = $"{NodeSettings.Section}:Groups:Seeds:{child.Key}";
            string? group = r.GetString($"{key}:Group");
            string? stream = r.GetString($"{key}:Stream");
            if (group is null || stream is null)
            {
                r.Error(key, "needs both Group (a specifier such as G:027f02…) and Stream (application/name)");
                continue;
            }
            if (GroupSpecifier.TryParse(group, out string? problem) is not { } specifier)
            {
                r.Error($"{key}:Group", $"'{group}': {problem}");
                continue;
            }
            int slash = stream.LastIndexOf('/');
            if (slash <= 0 || slash == stream.Length - 1 || stream.Length > 256)
            {
                r.Error($"{key}:Stream", $"'{stream}' is not application/name (for example live/cam)");
                continue;
            }
            if (seeds.Exists(s => s.Specifier.GroupId.AsSpan().SequenceEqual(specifier.GroupId)))
            {
                r.Error($"{key}:Group", "another seed already seeds this group (one stream per group)");
                continue;
            }
            seeds.Add(new GroupSeedSettings(specifier, new StreamKey(stream[..slash], stream[(slash + 1)..])));
        }
        if (seeds.Count > MaxSeeds)
        {
            r.Error($"{NodeSettings.Section}:Groups:Seeds", $"at most {MaxSeeds} seeds");
        }
        return seeds;
    }
}
