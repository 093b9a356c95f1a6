using Rtmfp.Cluster;
using System.Text.RegularExpressions;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>Flow messages of tests/vectors/plaintext-connect.md (decrypted packets of real connect exchanges).</summary>
public static partial class ConnectVectors
{
    [GeneratedRegex("```\\s*([0-9a-f]+)\\s*```")]
    private static partial Regex HexBlock();

    public static string VectorsDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                dir = dir.Parent;
            }
            return Path.GetFullPath(Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Cluster.sln not found"), "tests", "vectors"));
        }
    }

    /// <summary>The plain packets of the section for <paramref name="server"/> ("tcserver" or "MonaTiny"), in file order.</summary>
    public static List<byte[]> Packets(string server)
    {
        var text = File.ReadAllText(Path.Combine(VectorsDir, "plaintext-connect.md"));
        int start = text.IndexOf("### " + server, StringComparison.Ordinal);
        Assert.True(start >= 0, server);
        int end = text.IndexOf("### ", start + 4, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        return [.. HexBlock().Matches(section).Select(m => Convert.FromHexString(m.Groups[1].Value))];
    }

    /// <summary>The flow messages (User Data and Next User Data payloads) of one plain packet.</summary>
    public static List<byte[]> Messages(byte[] packet)
    {
        Assert.True(PlainPacket.TryRead(packet, out _, out var chunks));
        var result = new List<byte[]>();
        foreach (var chunk in chunks)
        {
            if (chunk.Type == ChunkType.UserData)
            {
                Assert.True(UserDataChunk.TryRead(chunk.Payload, out var data));
                result.Add(data.UserData.ToArray());
            }
            else if (chunk.Type == ChunkType.NextUserData)
            {
                Assert.True(NextUserDataChunk.TryRead(chunk.Payload, out var next));
                result.Add(next.UserData.ToArray());
            }
        }
        return result;
    }
}
