using System.Text.RegularExpressions;

namespace Rtmfp.Shared.Tests.Wire;

/// <summary>One decodable frame of tests/vectors/README.md: its header line, wire bytes, session id and plaintext.</summary>
public sealed record CapturedFrame(string Header, byte[]? Wire, uint SessionId, byte[]? Plaintext);

/// <summary>Extracts frames from the captures README (plaintext = checksum u16 + plain packet + padding).</summary>
public static partial class CapturedVectors
{
    private static readonly Lazy<IReadOnlyList<CapturedFrame>> Frames = new(Load);

    public static IReadOnlyList<CapturedFrame> All => Frames.Value;

    /// <summary>The unique frame whose header line starts with <paramref name="headerPrefix"/>, e.g. "frame 3  127.0.0.1:46973".</summary>
    public static CapturedFrame Get(string headerPrefix) => All.Single(f => f.Header.StartsWith(headerPrefix, StringComparison.Ordinal));

    /// <summary>Hex code blocks of plaintext-connect.md, in file order.</summary>
    public static IReadOnlyList<byte[]> PlaintextConnectPackets()
    {
        var lines = File.ReadAllLines(TestPaths.Vector("plaintext-connect.md"));
        var result = new List<byte[]>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() == "```" && i + 2 < lines.Length && HexLine().IsMatch(lines[i + 1].Trim()) && lines[i + 2].Trim() == "```")
            {
                result.Add(Convert.FromHexString(lines[i + 1].Trim()));
                i += 2;
            }
        }
        return result;
    }

    private static IReadOnlyList<CapturedFrame> Load()
    {
        var lines = File.ReadAllLines(TestPaths.Vector("README.md"));
        var frames = new List<CapturedFrame>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!FrameHeader().IsMatch(lines[i]))
            {
                continue;
            }
            string header = lines[i];
            byte[]? wire = null, plain = null;
            uint sid = 0;
            int j = i + 1;
            for (; j < lines.Length && !FrameHeader().IsMatch(lines[j]) && !lines[j].StartsWith("```", StringComparison.Ordinal); j++)
            {
                if (lines[j].StartsWith("UDP payload (wire) hex:", StringComparison.Ordinal))
                {
                    wire = ReadHexBlock(lines, j + 1);
                }
                else if (lines[j].StartsWith("plaintext after", StringComparison.Ordinal))
                {
                    plain = ReadHexBlock(lines, j + 1);
                }
                var m = SessionIdLine().Match(lines[j]);
                if (m.Success)
                {
                    sid = Convert.ToUInt32(m.Groups[1].Value, 16);
                }
            }
            frames.Add(new CapturedFrame(header, wire, sid, plain));
            i = j - 1;
        }
        return frames;
    }

    private static byte[] ReadHexBlock(string[] lines, int start)
    {
        var hex = new System.Text.StringBuilder();
        for (int k = start; k < lines.Length && lines[k].StartsWith("  ", StringComparison.Ordinal) && HexLine().IsMatch(lines[k].Trim()); k++)
        {
            hex.Append(lines[k].Trim());
        }
        return Convert.FromHexString(hex.ToString());
    }

    [GeneratedRegex(@"^frame \d+ ")]
    private static partial Regex FrameHeader();

    [GeneratedRegex(@"^[0-9a-f]+$")]
    private static partial Regex HexLine();

    [GeneratedRegex(@"-> session id 0x([0-9a-f]{8})")]
    private static partial Regex SessionIdLine();
}
