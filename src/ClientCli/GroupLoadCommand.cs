using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Rtmfp.Client;
using Rtmfp.Client.Diagnostics;
using Rtmfp.Client.Flash;
using Command = System.CommandLine.Command;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp group load</c>: the node's NetGroup orchestration end to end (bench/groups.sh). S sessions (connected
/// NetConnections) join G groups of M members through GC flows (docs/groups.md §2): gateway, session, group shard
/// region, group entity and the introductions back. Then, for a while, every member leaves and joins again as fast as
/// the node answers. Reports joins and join/leave events per second, introductions received, the server's CPU time
/// (/proc) per event and, with dotnet-gcdump, its live heap per member and per group. A session is a member of at most
/// 8 groups (the node's bound), so S is at least G·M/8, and at least M (a group's members are distinct sessions).
/// </summary>
internal sealed class GroupLoadCommand : ConnectedCommand
{
    /// <summary>The node's default GroupPolicy.MaxGroupsPerSession.</summary>
    public const int MaxGroupsPerSession = 8;

    private readonly Option<int> _groups = CliOptions.Create("--groups", "Groups to form", 100, "-G").AtLeast(1);
    private readonly Option<int> _members = CliOptions.Create("--members", "Members per group", 3, "-m").AtLeast(2);
    private readonly Option<int> _sessions = CliOptions.Create("--sessions", "Client sessions (0: the fewest, max(M, G·M/8))", 0).AtLeast(0);
    private readonly Option<double> _churn = CliOptions.Create("--churn", "Seconds of leave/join cycles after the groups formed (0: none)", 10.0).AtLeast(0);
    private readonly Option<int> _concurrent = CliOptions.Create("--concurrent", "Handshakes in flight at once", 16, "-c").AtLeast(1);
    private readonly Option<int> _pid = CliOptions.Create("--server-pid", "Server process whose CPU time /proc shows (0: none)", 0).AtLeast(0);
    private readonly Option<string?> _gcdump = new("--gcdump") { Description = "dotnet-gcdump to read the server's live heap with (needs --server-pid)" };

    public GroupLoadCommand(Argument<RtmfpUri> uri, Func<ParseResult, ConnectSettings> bindConnect) : base(bindConnect)
    {
        Command = new Command("load", "NetGroup orchestration load: G groups of M members join, then leave and join again (bench/groups.sh)")
        {
            uri, _groups, _members, _sessions, _churn, _concurrent, _pid, _gcdump,
        }.RunsWith(Bind, RunAsync);
    }

    public GroupLoadSettings Bind(ParseResult result) => new(BindConnect(result), result.GetValue(_groups), result.GetValue(_members),
        result.GetValue(_sessions), TimeSpan.FromSeconds(result.GetValue(_churn)), result.GetValue(_concurrent), result.GetValue(_pid),
        result.GetValue(_gcdump));

    public static async Task<int> RunAsync(GroupLoadSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        int memberships = settings.Groups * settings.Members;
        int sessionCount = settings.Sessions > 0 ? settings.Sessions
            : Math.Max(settings.Members, (memberships + MaxGroupsPerSession - 1) / MaxGroupsPerSession);
        if (sessionCount < settings.Members || (long)sessionCount * MaxGroupsPerSession < memberships)
        {
            output.WriteLine($"{sessionCount} sessions cannot hold {settings.Groups} groups of {settings.Members}: at least " +
                $"{Math.Max(settings.Members, (memberships + MaxGroupsPerSession - 1) / MaxGroupsPerSession)}");
            return ExitCodes.Failed;
        }
        var server = new ServerProbe(settings.ServerPid, settings.GcDump, output);
        await using var client = new RtmfpClient(settings.Connect.ToOptions(), 2);
        var clock = Stopwatch.StartNew();
        var sessions = await ConnectAllAsync(client, settings, sessionCount, output, cancellationToken).ConfigureAwait(false);
        if (sessions is null)
        {
            return ExitCodes.Timeout;
        }
        try
        {
            output.WriteLine(Invariant($"sessions: {sessionCount} connected in {clock.Elapsed.TotalSeconds:0.0} s"));
            // Member k belongs to group k / M and session k mod S: a group's M members are M consecutive, distinct sessions.
            var groupIds = Enumerable.Range(0, settings.Groups).Select(_ => RandomNumberGenerator.GetBytes(32)).ToArray();
            int expected = Math.Min(settings.Members - 1, 6);
            var members = Enumerable.Range(0, memberships)
                .Select(k => new GroupLoadMember(sessions[k % sessionCount].Rtmfp, groupIds[k / settings.Members], expected)).ToArray();

            // The heap is dumped outside the CPU windows: a dump's collection is the node's CPU too. The sessions settle
            // first (handshake state, the first keepalives), so the difference is the memberships' alone.
            if (settings.GcDump is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            }
            long? heapBefore = await server.LiveHeapAsync(cancellationToken).ConfigureAwait(false);
            var before = server.Sample();
            clock.Restart();
            bool[] joined = await Task.WhenAll(members.Select(m => m.JoinAsync(cancellationToken))).ConfigureAwait(false);
            double joinSeconds = clock.Elapsed.TotalSeconds;
            var afterJoins = server.Sample();
            int late = joined.Count(ok => !ok);
            long introductions = members.Sum(m => m.Introductions);
            output.WriteLine(Invariant($"join: {settings.Groups} groups x {settings.Members} = {memberships} members in {joinSeconds:0.00} s ") +
                Invariant($"({memberships / joinSeconds:0} joins/s), {late} without their {expected} introductions within ") +
                Invariant($"{GroupLoadMember.Patience.TotalSeconds:0} s; {introductions} introductions; ") + server.Describe(before, afterJoins, memberships, "join"));
            long? heapAfter = await server.LiveHeapAsync(cancellationToken).ConfigureAwait(false);
            string heapPerMember = "n/a", heapDelta = "n/a";
            if (heapBefore is long h0 && heapAfter is long h1)
            {
                (heapPerMember, heapDelta) = (Invariant($"{(double)(h1 - h0) / memberships:0}"), Invariant($"{h1 - h0}"));
                output.WriteLine(Invariant($"live heap: {h0} -> {h1} bytes: {h1 - h0} for {memberships} members in {settings.Groups} groups = ") +
                    Invariant($"{heapPerMember} B per member (GC flow and membership in the session, entry in the group entity)"));
            }

            var churn = await ChurnAsync(members, settings, server, output, cancellationToken).ConfigureAwait(false);
            output.WriteLine(Invariant($"result: groups={settings.Groups} members={settings.Members} sessions={sessionCount} ") +
                Invariant($"join-per-s={memberships / joinSeconds:0} join-cpu-us={ServerProbe.PerEvent(before, afterJoins, memberships)} ") +
                Invariant($"heap-per-member={heapPerMember} heap-delta={heapDelta} churn-events-per-s={churn.EventsPerSecond} ") +
                Invariant($"churn-cpu-us={churn.CpuPerEvent} late={late} unanswered={churn.Failures}"));
            return late == 0 && churn.Failures == 0 ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            await Task.WhenAll(sessions.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        }
    }

    /// <summary>Every member leaves and joins again until the churn time is up; the events per second and CPU per event.</summary>
    private static async Task<(string EventsPerSecond, long Failures, string CpuPerEvent)> ChurnAsync(GroupLoadMember[] members,
        GroupLoadSettings settings, ServerProbe server, TextWriter output, CancellationToken cancellationToken)
    {
        if (settings.Churn <= TimeSpan.Zero)
        {
            return ("n/a", 0, "n/a");
        }
        var cycles = new LatencyStatistics();
        using var until = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = server.Sample();
        var clock = Stopwatch.StartNew();
        until.CancelAfter(settings.Churn);
        var results = await Task.WhenAll(members.Select(m => m.ChurnAsync(until.Token, cycles))).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        var end = server.Sample();
        long events = results.Sum(r => r.Events), failures = results.Sum(r => r.Failures);
        output.WriteLine(Invariant($"churn: {events} events (leaves and joins, each answered by the node) in {seconds:0.00} s = ") +
            Invariant($"{events / seconds:0} events/s, {failures} unanswered; leave+join cycle ms {LoadCommand.Format(cycles.Summarize())}; ") +
            server.Describe(start, end, events, "event"));
        return (Invariant($"{events / seconds:0}"), failures, ServerProbe.PerEvent(start, end, events));
    }

    private static async Task<FlashNetConnection[]?> ConnectAllAsync(RtmfpClient client, GroupLoadSettings settings, int count, TextWriter output,
        CancellationToken cancellationToken)
    {
        if (await Connector.TryResolveAsync(settings.Connect, output, cancellationToken).ConfigureAwait(false) is not ({ } candidates, { } epd))
        {
            return null;
        }
        using var gate = new SemaphoreSlim(settings.Concurrent);
        string tcUrl = settings.Connect.Uri.Text;
        var connecting = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var rtmfp = await client.ConnectAsync(candidates, epd, cancellationToken).ConfigureAwait(false);
                return await FlashNetConnection.ConnectAsync(rtmfp, tcUrl, ownsConnection: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        try
        {
            return await Task.WhenAll(connecting).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RtmfpConnectException or FlashCallException or TimeoutException)
        {
            output.WriteLine($"cannot connect every session: {e.Message}");
            await Task.WhenAll(connecting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result.DisposeAsync().AsTask())).ConfigureAwait(false);
            return null;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary><c>rtmfp group load</c>'s settings; <paramref name="Sessions"/> 0 is the fewest that can hold the groups.</summary>
internal sealed record GroupLoadSettings(ConnectSettings Connect, int Groups, int Members, int Sessions, TimeSpan Churn, int Concurrent,
    int ServerPid, string? GcDump);

/// <summary>The server process of <c>rtmfp group load</c>: its CPU time (/proc) and, with dotnet-gcdump, its live heap.</summary>
internal sealed class ServerProbe(int pid, string? gcdump, TextWriter output)
{
    /// <summary>The server's CPU time so far (zero without a server process).</summary>
    public ProcessCpu Sample() => pid > 0 && ProcessCpu.TryRead(pid, out var cpu) ? cpu : default;

    public async Task<long?> LiveHeapAsync(CancellationToken cancellationToken) =>
        pid > 0 && gcdump is not null ? await HeapProbe.LiveBytesAsync(gcdump, pid, output, cancellationToken).ConfigureAwait(false) : null;

    /// <summary>Server CPU microseconds per event between two samples ("n/a" without a server process).</summary>
    public static string PerEvent(ProcessCpu before, ProcessCpu after, long events) =>
        before == default && after == default || events <= 0 ? "n/a"
            : ((after - before).Milliseconds * 1000 / events).ToString("0", CultureInfo.InvariantCulture);

    public string Describe(ProcessCpu before, ProcessCpu after, long events, string what) => pid <= 0 ? "no server CPU (no --server-pid)"
        : string.Create(CultureInfo.InvariantCulture, $"server CPU {(after - before).Milliseconds:0} ms = {PerEvent(before, after, events)} µs per {what}");
}
