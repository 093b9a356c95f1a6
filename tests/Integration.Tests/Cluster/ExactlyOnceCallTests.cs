using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using StackExchange.Redis;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// Issue 9's acceptance on three node processes and Redis: a client's calls in flight on the control flow when the
/// node hosting its session is SIGKILLed each get exactly one result, and each call's handler completes once (an
/// application loaded by <c>type:</c>, counting in files). Then sessions that open and close leave no Redis key behind.
/// </summary>
[Collection(ClusterCollection.Name)]
public class ExactlyOnceCallTests
{
    private const string App = "calls";

    [Fact(Timeout = 180_000)]
    public async Task Calls_in_flight_when_their_node_dies_get_one_result_each_and_run_to_completion_once()
    {
        string redis = TestRedis.ConnectionString;
        string prefix = $"exactly-{Guid.NewGuid():N}:";
        var dir = Directory.CreateTempSubdirectory("exactly-once-");
        var nodes = await NodeProcess.StartThreeAsync(("RTMFP_Persistence__Provider", "Redis"), ("RTMFP_Persistence__Redis", redis),
            ("RTMFP_Persistence__KeyPrefix", prefix),
            ($"RTMFP_Applications__{App}", $"type:{typeof(HeldCallApplication).FullName}, {typeof(HeldCallApplication).Assembly.GetName().Name}"),
            // The node's own deps do not list this test assembly; the host adds it (as a deployment adds its application's).
            ("DOTNET_ADDITIONAL_DEPS", Path.Combine(AppContext.BaseDirectory, "Rtmfp.Integration.Tests.deps.json")),
            (HeldCallApplication.DirectoryVariable, dir.FullName));
        var clients = new List<FlashNetConnection>();
        var ct = TestContext.Current.CancellationToken;
        var options = new RtmfpClientOptions { AnswerTimeout = TimeSpan.FromSeconds(120) };
        try
        {
            string uri = $"rtmfp://{nodes[0].Gateway}/{App}";
            // A client whose session lives on node 1 or 2 (its gateway, node 0, stays up).
            NodeProcess? victim = null;
            FlashNetConnection? client = null;
            for (int attempt = 0; attempt < 30 && victim is null; attempt++)
            {
                var candidate = await FlashNetConnection.ConnectAsync(uri, options).WaitAsync(TimeSpan.FromSeconds(60), ct);
                clients.Add(candidate);
                foreach (var node in nodes.Skip(1))
                {
                    if (await node.HostsEntityAsync("session", LiveStream.SessionEntity(candidate), ct))
                    {
                        (victim, client) = (node, candidate);
                    }
                }
            }
            Assert.NotNull(victim);

            // The session's Redis writes, as its journal numbers them (exact whatever else uses this Redis).
            using var inspector = await ConnectionMultiplexer.ConnectAsync(redis);
            var db = inspector.GetDatabase();
            string highest = $"{prefix}journal:persisted:rtmfp-session-{LiveStream.SessionEntity(client!)}:highestSequenceNr";
            long Writes() => (long)db.StringGet(highest);

            // What the connect itself still writes (its answer's acknowledgement, the client's address) lands first: the
            // count stands still for a second before the calls are measured.
            long settled = Writes();
            for (var quiet = Stopwatch.StartNew(); quiet.Elapsed < TimeSpan.FromSeconds(1);)
            {
                await Task.Delay(100, ct);
                long now = Writes();
                if (now != settled)
                {
                    (settled, quiet) = (now, Stopwatch.StartNew());
                }
            }

            // Answered before the crash: never run again. One at a time, so each is one record of its own.
            long beforeFast = Writes();
            var fastAnswers = new List<Command>();
            for (int i = 1; i <= 5; i++)
            {
                fastAnswers.Add(await client!.CallAsync("add", [new AmfNumber(i)], ct).WaitAsync(TimeSpan.FromSeconds(30), ct));
            }
            long fastWrites = Writes() - beforeFast;
            long beforeHeld = Writes();
            // Held by the application while the node dies, then more during the outage.
            var held = Enumerable.Range(101, 5).Select(i => client!.CallAsync("hold", [new AmfNumber(i)], ct)).ToList();
            await UntilAsync(() => HeldCallApplication.Lines(dir, "started").Count(l => l.StartsWith("hold ", StringComparison.Ordinal)) == 5, TimeSpan.FromSeconds(30));
            victim!.Kill();
            held.AddRange(Enumerable.Range(106, 3).Select(i => client!.CallAsync("hold", [new AmfNumber(i)], ct)));

            // The five held calls run again where the session resumed (nothing of their first run reached the client),
            // the three new ones run there once; then the application lets them finish.
            await UntilAsync(() => HeldCallApplication.Lines(dir, "started").Count(l => l.StartsWith("hold ", StringComparison.Ordinal)) >= 13, TimeSpan.FromSeconds(90));
            File.WriteAllText(Path.Combine(dir.FullName, "release"), "");
            var answers = await Task.WhenAll(held).WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Task.Delay(2000, ct); // anything sent twice would have arrived by now

            var completed = HeldCallApplication.Lines(dir, "completed");
            var started = HeldCallApplication.Lines(dir, "started");
            var extraAnswers = new List<string>();
            while (client!.Events.TryRead(out var message))
            {
                if (message.Command is { Name: CommandName.Result or CommandName.Error } c)
                {
                    extraAnswers.Add($"{c.Name} {c.TransactionId}");
                }
            }
            int Resumed() => nodes.Sum(n => n.Output.Count(l => l.Contains("resumed with", StringComparison.Ordinal)));
            await NodeProcess.EventuallyAsync(() => Resumed() >= 1, TimeSpan.FromSeconds(5));
            int resumed = Resumed();
            long heldWrites = Writes() - beforeHeld;
            string report = $"{fastAnswers.Count} calls answered before the kill ({fastWrites} session writes), {held.Count} held across it " +
                $"({heldWrites} writes from the first held call to the last answer, the resume's own included); handler runs started " +
                $"{started.Length}, completed {completed.Length}; answers beyond one per call: {extraAnswers.Count}; resumed (node logs) {resumed}";
            TestContext.Current.TestOutputHelper?.WriteLine(report);

            for (int i = 0; i < fastAnswers.Count; i++)
            {
                Assert.Equal(2.0 * (i + 1), fastAnswers[i].Argument(0)?.AsNumber);
            }
            for (int i = 0; i < answers.Length; i++)
            {
                Assert.Equal(2.0 * (101 + i), answers[i].Argument(0)?.AsNumber);
            }
            Assert.Empty(extraAnswers);
            Assert.Equal(5, fastWrites); // a call and its answer: one write
            // Each call's handler ran to completion once: 13 calls, 13 completions, one per argument.
            Assert.Equal(13, completed.Length);
            Assert.Equal(13, completed.Select(l => l.Split(' ')[^1]).Distinct().Count());
            // Started: 5 "add", the 5 held runs the kill interrupted, those 5 once more where the session resumed, 3 more.
            Assert.Equal(18, started.Length);
            Assert.False(client.Closed.IsCompleted, report);
            Assert.True(resumed >= 1, report);

            // Sessions that open and close leave no key of their record behind (the journal's high-water key included).
            var survivors = nodes.Where(n => n != victim).ToList();
            for (int i = 0; i < 4; i++)
            {
                await using var brief = await FlashNetConnection.ConnectAsync($"rtmfp://{survivors[i % 2].Gateway}/{App}", options).WaitAsync(TimeSpan.FromSeconds(60), ct);
                await brief.CallAsync("add", [new AmfNumber(1000 + i)], ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
                await brief.CloseAsync(ct);
            }
            foreach (var c in clients)
            {
                await c.CloseAsync(ct);
            }
            int Keys() => (int)db.ScriptEvaluate("return #redis.call('KEYS', ARGV[1])", null, [prefix + "journal:*"]);
            await UntilAsync(() => Keys() == 0, TimeSpan.FromSeconds(30), () => $"{Keys()} journal keys left under {prefix}");
            // A closing session does not wait for the stores' answers to its deletes: none may come back as a dead letter.
            var deadAnswers = nodes.SelectMany(n => n.Output)
                .Where(l => l.Contains("DeleteSnapshotsSuccess", StringComparison.Ordinal) || l.Contains("DeleteMessagesSuccess", StringComparison.Ordinal))
                .ToList();
            Assert.True(deadAnswers.Count == 0, string.Join(Environment.NewLine, deadAnswers));
        }
        finally
        {
            await LiveStream.DisposeAllAsync(clients, nodes);
            dir.Delete(recursive: true);
        }
    }

    private static async Task UntilAsync(Func<bool> condition, TimeSpan limit, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe?.Invoke() ?? $"not within {limit}");
            }
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// A deployment's application (loaded by <c>type:</c> in the node processes) that writes a line per call when its
/// handler starts and when it completes, to files of its node under the directory the test names. "add" answers at
/// once, "hold" once the test creates the file "release"; both answer twice their argument.
/// </summary>
public sealed class HeldCallApplication : IFlashApplication
{
    public const string DirectoryVariable = "EXACTLY_ONCE_TEST_DIR";

    private static readonly string? Dir = Environment.GetEnvironmentVariable(DirectoryVariable);
    private static readonly object Gate = new();
    private static readonly string Node = Environment.GetEnvironmentVariable("RTMFP_Gateway__Endpoints")?.Replace(':', '-') ?? "node";

    public static string[] Lines(DirectoryInfo dir, string kind) =>
        [.. dir.GetFiles($"{kind}-*").SelectMany(f => File.ReadAllLines(f.FullName))];

    public ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) => new(ConnectDecision.Accept);

    public void OnDisconnected(IFlashClient client)
    {
    }

    public ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request) => new(StreamDecision.Allow);

    public ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request) => new(StreamDecision.Allow);

    public bool AuthorizePeerLookup(PeerLookup lookup) => true;

    public async ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call)
    {
        if (Dir is null || call.Arguments.Count == 0 || call.Arguments[0].AsNumber is not double argument)
        {
            return CallResult.MethodNotFound;
        }
        if (call.Method is not ("add" or "hold"))
        {
            return CallResult.MethodNotFound;
        }
        string line = $"{call.Method} {argument}";
        Append("started", line);
        while (call.Method == "hold" && !File.Exists(Path.Combine(Dir, "release")))
        {
            await Task.Delay(50);
        }
        Append("completed", line);
        return CallResult.Success(new AmfNumber(argument * 2));
    }

    private static void Append(string kind, string line)
    {
        lock (Gate)
        {
            File.AppendAllText(Path.Combine(Dir!, $"{kind}-{Node}"), line + "\n");
        }
    }
}
