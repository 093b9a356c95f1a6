using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Node.Settings;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// README's configuration tables (every table headed <c>| key | default | meaning |</c>) against the node's own list of
/// the keys it reads: the one <see cref="NodeSettings.Load(IConfiguration, out IReadOnlySet{string})"/> collects and
/// the startup warning about unknown keys (event 3010) uses. A key read without README text, or README text for a key
/// the node ignores (renamed, removed, mistyped), fails here.
/// </summary>
public partial class ReadmeConfigurationTests
{
    /// <summary>Placeholders README's key column uses for a list index and for a map's own names.</summary>
    private const string Index = "N", Name = "<name>";

    [Fact]
    public void Every_key_the_node_reads_is_in_README_and_every_key_there_is_one_the_node_reads()
    {
        var documented = DocumentedKeys();
        Assert.True(documented.Count >= 60, $"README's configuration tables list {documented.Count} keys");

        // Every documented key set (a list item or map entry under a stand-in name), so that keys read only for an
        // item (Groups:Seeds:N:…) are looked up too. Values need not be valid: a key is recorded before it is parsed.
        var values = documented.Select(k => new KeyValuePair<string, string?>(
            $"{NodeSettings.Section}:{k.Replace(":" + Index + ":", ":0:", StringComparison.Ordinal).Replace(Name, "live", StringComparison.Ordinal)}", "x"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var (settings, _) = NodeSettings.Load(configuration, out var keysRead);

        // What the node reads, as README writes it: without the Rtmfp: prefix, list indexes as N.
        var read = keysRead.Select(k => IndexSegment().Replace(k[(NodeSettings.Section.Length + 1)..], ":" + Index + ":")).ToHashSet(StringComparer.Ordinal);
        var undocumented = read.Where(k => !documented.Contains(k)).Order().ToList();
        Assert.True(undocumented.Count == 0, "read by the node but not in README's configuration tables: " + string.Join(", ", undocumented));

        // What README lists, the node knows: the same check that warns about a mistyped key at startup.
        var unknown = settings.Warnings.Where(w => w.Contains("is not a setting of this node", StringComparison.Ordinal)).ToList();
        Assert.True(unknown.Count == 0, "in README's configuration tables but not read by the node: " + string.Join("; ", unknown));
        // And spelled as the node spells it (the warning above ignores case, as configuration keys do).
        var misspelt = documented.Where(k => !k.Contains(Name, StringComparison.Ordinal) && !read.Contains(k)).Order().ToList();
        Assert.True(misspelt.Count == 0, "README spells these keys otherwise than the node: " + string.Join(", ", misspelt));
    }

    /// <summary>The backquoted keys of the first column of every <c>| key | default | meaning |</c> table in README.</summary>
    private static HashSet<string> DocumentedKeys()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "| key | default | meaning |")
            {
                continue;
            }
            // The separator row, then rows until the table ends.
            for (i += 2; i < lines.Length && lines[i].StartsWith('|'); i++)
            {
                string first = lines[i].Split('|')[1];
                var cell = CodeSpan().Matches(first).Select(m => m.Groups[1].Value).ToList();
                Assert.True(cell.Count > 0, $"README line {i + 1}: no key in the first column");
                keys.UnionWith(cell);
            }
        }
        return keys;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(":[0-9]+:")]
    private static partial Regex IndexSegment();
}
