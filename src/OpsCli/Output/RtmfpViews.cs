using System.Globalization;
using System.Text.Json;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.OpsCli.Output;

/// <summary>Tables for the RTMFP palette (sessions, peers, streams, groups); false for any other command.</summary>
internal static class RtmfpViews
{
    public static bool TryRender(string command, JsonElement result, OpsOutput output)
    {
        switch (command)
        {
            case OpsCommandNames.SessionsList or OpsCommandNames.SessionsShow or OpsCommandNames.SessionsClose or OpsCommandNames.PeersShow:
                var sessions = Read<SessionsResult>(result);
                string verb = command == OpsCommandNames.SessionsClose ? "closing" : "";
                output.Table(new TableView($"{verb} {sessions.Sessions.Count} session(s)".Trim() + Unanswered(sessions.Unanswered),
                    ["Session", "Peer ID", "Address", "Application", "Opened", "Node"],
                    sessions.Sessions.Select(s => (IReadOnlyList<string>)
                    [
                        s.SessionId.ToString(CultureInfo.InvariantCulture), s.PeerId ?? "", s.Address, s.Application ?? "",
                        s.OpenedAt.ToString("u", CultureInfo.InvariantCulture), s.Node,
                    ]).ToList()));
                return true;
            case OpsCommandNames.StreamsList or OpsCommandNames.StreamsShow:
                var streams = Read<StreamsResult>(result);
                output.Table(new TableView($"{streams.Streams.Count} stream(s)" + Unanswered(streams.Unanswered),
                    ["Stream", "Publisher", "Players", "Relayed", "Node"],
                    streams.Streams.Select(s => (IReadOnlyList<string>)
                    [
                        s.Name, s.Live ? "live" : "none", s.Players.ToString(CultureInfo.InvariantCulture),
                        s.RelayedBytes.ToString("N0", CultureInfo.InvariantCulture) + " B", s.Node,
                    ]).ToList()));
                return true;
            case OpsCommandNames.GroupsList or OpsCommandNames.GroupsShow:
                var groups = Read<GroupsResult>(result);
                output.Table(new TableView($"{groups.Groups.Count} group(s)" + Unanswered(groups.Unanswered),
                    ["Group ID", "Members", "Node"],
                    groups.Groups.Select(g => (IReadOnlyList<string>)[g.GroupId, g.Members.ToString(CultureInfo.InvariantCulture), g.Node]).ToList()));
                return true;
            default:
                return false;
        }
    }

    private static string Unanswered(IReadOnlyList<string> members) =>
        members.Count == 0 ? "" : $"; not answering (missing above): {string.Join(", ", members)}";

    private static T Read<T>(JsonElement e) => e.Deserialize<T>(OpsJson.Options) ?? throw new JsonException($"empty {typeof(T).Name}");
}
