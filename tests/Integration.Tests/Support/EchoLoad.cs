using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Cluster;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// One client session under a little load: an echo flow probed every <see cref="Interval"/> with a new payload,
/// each answer's time kept on a shared clock, and whether (when, why) the session closed. The session is the same
/// object throughout: if it answers after a node loss, it resumed without a new handshake.
/// </summary>
internal sealed class EchoLoad : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly RtmfpFlow _flow;
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<double> _answers = [];
    private readonly Task _loop;
    private int _sent;

    private EchoLoad(RtmfpConnection connection, Stopwatch clock)
    {
        Connection = connection;
        _clock = clock;
        _flow = connection.OpenFlow("echo");
        _loop = Task.Run(RunAsync);
    }

    public RtmfpConnection Connection { get; }

    /// <summary>The session entity's ID (the server's session ID, as sharding names it).</summary>
    public string EntityId => SessionMessageExtractor.EntityIdOf(Connection.FarSessionId);

    /// <summary>When the session closed (seconds on the shared clock) and why; null while open.</summary>
    public (double At, RtmfpCloseReason Reason)? ClosedAt { get; private set; }

    public static Task<List<EchoLoad>> StartAsync(string uri, int count, Stopwatch clock) =>
        StartAsync(() => RtmfpConnection.ConnectAsync(uri, new RtmfpClientOptions { ConnectTimeout = TimeSpan.FromSeconds(60) }), count, clock);

    /// <summary><paramref name="count"/> sessions, each opened by <paramref name="connect"/> (e.g. from a client namespace).</summary>
    public static async Task<List<EchoLoad>> StartAsync(Func<Task<RtmfpConnection>> connect, int count, Stopwatch clock)
    {
        var loads = new List<EchoLoad>();
        for (int i = 0; i < count; i++)
        {
            var connection = await connect().WaitAsync(TimeSpan.FromSeconds(90));
            loads.Add(new EchoLoad(connection, clock));
        }
        return loads;
    }

    /// <summary>Answers so far.</summary>
    public int Answers
    {
        get
        {
            lock (_answers)
            {
                return _answers.Count;
            }
        }
    }

    /// <summary>The first answer after <paramref name="t"/> (seconds), or null.</summary>
    public double? FirstAnswerAfter(double t)
    {
        lock (_answers)
        {
            foreach (double a in _answers)
            {
                if (a > t)
                {
                    return a;
                }
            }
            return null;
        }
    }

    /// <summary>The longest time without an answer between <paramref name="from"/> and the last answer (seconds).</summary>
    public double LongestSilenceSince(double from)
    {
        lock (_answers)
        {
            double longest = 0;
            double previous = from;
            foreach (double a in _answers)
            {
                if (a <= from)
                {
                    previous = a;
                    continue;
                }
                longest = Math.Max(longest, a - previous);
                previous = a;
            }
            return longest;
        }
    }

    private async Task RunAsync()
    {
        var closed = Connection.Closed;
        while (!_stop.IsCancellationRequested)
        {
            if (closed.IsCompleted)
            {
                ClosedAt = (_clock.Elapsed.TotalSeconds, await closed);
                return;
            }
            var payload = BitConverter.GetBytes(++_sent);
            try
            {
                _flow.Write(payload);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                while (true)
                {
                    var reply = await _flow.Received.ReadAsync(wait.Token);
                    if (reply.Span.SequenceEqual(payload))
                    {
                        lock (_answers)
                        {
                            _answers.Add(_clock.Elapsed.TotalSeconds);
                        }
                        break;
                    }
                }
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                // No answer within 1 s (its node is being decided, or we are stopping): probe again.
            }
            catch (Exception) when (closed.IsCompleted)
            {
                // The flow ended with its session: recorded at the top of the loop.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        Connection.Abort();
        await Connection.DisposeAsync();
    }
}
