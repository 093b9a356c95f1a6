using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Rtmfp.Ops.Protocol;
using Rtmfp.Shared.Operations;

namespace Rtmfp.Ops.Inspection;

/// <summary>
/// One per member (/user/rtmfp-ops-inspector): answers an ops endpoint with what this node hosts, read from its
/// <see cref="NodeDirectory"/>, and closes the sessions an operator names. Never blocks and never asks: the endpoint
/// that fans out awaits the replies outside any actor.
/// </summary>
internal sealed class OpsInspector : ReceiveActor
{
    public OpsInspector(NodeDirectory directory)
    {
        string node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        Receive<InspectQuery>(q =>
        {
            object answer;
            try
            {
                answer = Answer(directory, node, q);
            }
            catch (FormatException e)
            {
                answer = new InspectError(e.Message);
            }
            Sender.Tell(new InspectReply(JsonSerializer.Serialize(answer, answer.GetType(), OpsJson.Options)));
        });
    }

    /// <summary>A query this member could not read (a malformed argument).</summary>
    internal sealed record InspectError(string Error);

    internal static object Answer(NodeDirectory directory, string node, InspectQuery q)
    {
        switch (q.Command)
        {
            case OpsCommandNames.SessionsList or OpsCommandNames.SessionsShow or OpsCommandNames.PeersShow:
                return Sessions(directory, node, q.Args).ToList();
            case OpsCommandNames.SessionsClose:
                var closed = Sessions(directory, node, q.Args).ToList();
                foreach (var s in directory.Sessions)
                {
                    if (closed.Exists(c => c.SessionId == s.SessionId))
                    {
                        s.Close();
                    }
                }
                return closed;
            case OpsCommandNames.StreamsList or OpsCommandNames.StreamsShow:
                string? name = q.Args.GetValueOrDefault("name");
                return directory.Streams.Where(s => name is null || s.Name == name)
                    .Select(s => new StreamInfo(node, s.Name, s.Live, s.Players, s.RelayedBytes)).ToList();
            case OpsCommandNames.GroupsList or OpsCommandNames.GroupsShow:
                string? group = q.Args.GetValueOrDefault("group")?.ToLowerInvariant();
                return directory.Groups.Where(g => group is null || g.GroupId == group)
                    .Select(g => new GroupInfo(node, g.GroupId, g.Members)).ToList();
            default:
                throw new FormatException($"unknown inspection '{q.Command}'");
        }
    }

    private static IEnumerable<SessionInfo> Sessions(NodeDirectory directory, string node, IReadOnlyDictionary<string, string> args)
    {
        uint? id = args.TryGetValue("id", out var idText) ? ParseSessionId(idText) : null;
        string? peer = args.GetValueOrDefault("peer")?.ToLowerInvariant();
        string? address = args.GetValueOrDefault("address");
        foreach (var s in directory.Sessions)
        {
            if ((id is null || s.SessionId == id) && (peer is null || s.PeerId == peer) && (address is null || MatchesAddress(s.Address, address)))
            {
                yield return new SessionInfo(node, s.SessionId, s.PeerId, s.Address, s.Application, s.OpenedAt);
            }
        }
    }

    /// <summary>"192.0.2.1:5000" matches that endpoint; "192.0.2.1" every port of it.</summary>
    private static bool MatchesAddress(string session, string wanted) =>
        session == wanted || session.StartsWith(wanted + ":", StringComparison.Ordinal) || session.StartsWith("[" + wanted + "]:", StringComparison.Ordinal);

    /// <summary>Decimal, or hex with 0x, as sessions list prints it.</summary>
    private static uint ParseSessionId(string text)
    {
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (uint.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
        {
            return id;
        }
        throw new FormatException($"'{text}' is not a session ID (decimal, or hex with 0x)");
    }
}
