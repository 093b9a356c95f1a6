using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Inspection;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>
/// The RTMFP palette: sessions, streams, peers and groups, each answered by whichever member hosts the entity. The
/// endpoint asks every member's <see cref="OpsInspector"/> at once and awaits the replies here, outside any actor;
/// a member that does not answer within the ask timeout is named in the result instead of failing the command.
/// </summary>
internal static class RtmfpCommands
{
    private static readonly string[] SessionFilters = ["id", "peer", "address"];

    public static IEnumerable<OpsCommand> Create(ActorSystem system, TimeSpan askTimeout, ILogger logger)
    {
        yield return Sessions(system, askTimeout, OpsCommandNames.SessionsList, "sessions list [--id|--peer|--address]", "Open sessions on every member", required: false);
        yield return Sessions(system, askTimeout, OpsCommandNames.SessionsShow, "sessions show --id|--peer|--address", "One client's sessions, wherever they are hosted", required: true);
        yield return new(OpsCommandNames.SessionsClose, "sessions close --id|--peer|--address", "Close sessions in order (Close Request): by session ID, peer ID or address",
            SessionFilters, async (a, _, ct) =>
            {
                var result = await SessionsAsync(system, askTimeout, a, required: true, ct).ConfigureAwait(false);
                foreach (var s in result.Sessions)
                {
                    logger.LogInformation("ops: session {SessionId} of {Address} on {Node} closed, asked by {Caller}", s.SessionId, s.Address, s.Node, a.Caller);
                }
                return result;
            });
        yield return new(OpsCommandNames.PeersShow, "peers show <peer>", "Where a peer ID is connected: its sessions and their nodes", ["peer"],
            async (a, _, ct) => await SessionsAsync(system, askTimeout, a, required: true, ct).ConfigureAwait(false));
        yield return new(OpsCommandNames.StreamsList, "streams list", "Stream entities on every member: publisher on or not, players, bytes relayed", [],
            async (a, _, ct) => await StreamsAsync(system, askTimeout, a, ct).ConfigureAwait(false));
        yield return new(OpsCommandNames.StreamsShow, "streams show <name>", "One stream (application/name)", ["name"],
            async (a, _, ct) => NotEmpty(await StreamsAsync(system, askTimeout, a, ct).ConfigureAwait(false), r => r.Streams.Count, $"no stream '{a.Required("name")}'"));
        yield return new(OpsCommandNames.GroupsList, "groups list", "NetGroup entities on every member with their members", [],
            async (a, _, ct) => await GroupsAsync(system, askTimeout, a, ct).ConfigureAwait(false));
        yield return new(OpsCommandNames.GroupsShow, "groups show <group>", "One NetGroup by group ID (hex)", ["group"],
            async (a, _, ct) => NotEmpty(await GroupsAsync(system, askTimeout, a, ct).ConfigureAwait(false), r => r.Groups.Count, $"no group '{a.Required("group")}'"));
    }

    private static OpsCommand Sessions(ActorSystem system, TimeSpan askTimeout, string name, string usage, string description, bool required) =>
        new(name, usage, description, SessionFilters, async (a, _, ct) => await SessionsAsync(system, askTimeout, a, required, ct).ConfigureAwait(false));

    private static async Task<SessionsResult> SessionsAsync(ActorSystem system, TimeSpan askTimeout, OpsArguments args, bool required, CancellationToken ct)
    {
        var filters = args.Values;
        if (required && !SessionFilters.Any(filters.ContainsKey))
        {
            throw new OpsCommandException($"'{args.Command}' needs --id, --peer or --address");
        }
        var (answers, unanswered) = await FanOutAsync<SessionInfo>(system, askTimeout, args, ct).ConfigureAwait(false);
        var sessions = answers.OrderBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.OpenedAt).ToList();
        if (required && sessions.Count == 0)
        {
            throw new OpsCommandException($"no session matches {string.Join(", ", filters.Select(f => $"{f.Key}={f.Value}"))}"
                + (unanswered.Count > 0 ? $" (not answering: {string.Join(", ", unanswered)})" : ""));
        }
        return new SessionsResult(sessions, unanswered);
    }

    private static async Task<StreamsResult> StreamsAsync(ActorSystem system, TimeSpan askTimeout, OpsArguments args, CancellationToken ct)
    {
        var (answers, unanswered) = await FanOutAsync<StreamInfo>(system, askTimeout, args, ct).ConfigureAwait(false);
        return new StreamsResult(answers.OrderBy(s => s.Name, StringComparer.Ordinal).ToList(), unanswered);
    }

    private static async Task<GroupsResult> GroupsAsync(ActorSystem system, TimeSpan askTimeout, OpsArguments args, CancellationToken ct)
    {
        var (answers, unanswered) = await FanOutAsync<GroupInfo>(system, askTimeout, args, ct).ConfigureAwait(false);
        return new GroupsResult(answers.OrderBy(g => g.GroupId, StringComparer.Ordinal).ToList(), unanswered);
    }

    private static T NotEmpty<T>(T result, Func<T, int> count, string message) =>
        count(result) > 0 ? result : throw new OpsCommandException(message);

    /// <summary>Asks every member that is not down or removed; returns what they answered and who did not.</summary>
    private static async Task<(List<T> Answers, List<string> Unanswered)> FanOutAsync<T>(ActorSystem system, TimeSpan askTimeout, OpsArguments args, CancellationToken ct)
    {
        var query = new InspectQuery(args.Command, args.Values);
        var members = Cluster.Get(system).State.Members.Where(m => m.Status is not (MemberStatus.Down or MemberStatus.Removed)).Select(m => m.Address).ToList();
        var asks = members.Select(address => system.ActorSelection(new RootActorPath(address) / "user" / OpsInspectionHosting.InspectorName)
            .Ask<InspectReply>(query, askTimeout, ct)).ToList();
        var answers = new List<T>();
        var unanswered = new List<string>();
        for (int i = 0; i < asks.Count; i++)
        {
            try
            {
                var reply = await asks[i].ConfigureAwait(false);
                using var json = JsonDocument.Parse(reply.Json);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error))
                {
                    throw new OpsCommandException(error.GetString() ?? "malformed query");
                }
                answers.AddRange(json.RootElement.Deserialize<List<T>>(OpsJson.Options) ?? []);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                unanswered.Add(members[i].ToString());
            }
        }
        return (answers, unanswered);
    }
}
