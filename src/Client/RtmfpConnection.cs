using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Rtmfp.Engine;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client;

/// <summary>
/// An RTMFP session opened by us as initiator (RFC 7016 §3.5.1.1.1) and then run by the engine's
/// <see cref="Session"/> on an <see cref="RtmfpEventLoop"/>. Every public member is thread-safe: it posts to
/// the loop and, when asynchronous, completes off the loop thread.
/// </summary>
public sealed partial class RtmfpConnection : IAsyncDisposable
{
    private readonly RtmfpEventLoop _loop;
    private readonly bool _ownsLoop;
    private readonly FlashCryptoProfile _profile;
    private readonly bool _ownsProfile;
    private readonly byte[] _epd;
    private readonly uint _nearSessionId;
    private readonly TaskCompletionSource<RtmfpConnection> _connectTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RtmfpCloseReason> _closedTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<RtmfpIncomingFlow> _incoming = Channel.CreateUnbounded<RtmfpIncomingFlow>(new UnboundedChannelOptions { SingleWriter = true });
    private volatile IPEndPoint? _localEndPoint;
    private volatile IPEndPoint? _remoteEndPoint;
    private volatile int _smoothedRttMs = -1;

    private RtmfpConnection(RtmfpEventLoop loop, bool ownsLoop, RtmfpClientOptions options, FlashCryptoProfile profile, bool ownsProfile, byte[] epd)
    {
        _loop = loop;
        _ownsLoop = ownsLoop;
        Options = options;
        _profile = profile;
        _ownsProfile = ownsProfile;
        _epd = epd;
        Span<byte> id = stackalloc byte[4];
        do
        {
            RandomNumberGenerator.Fill(id);
            _nearSessionId = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(id);
        }
        while (_nearSessionId == 0);
    }

    public RtmfpClientOptions Options { get; }

    /// <summary>Our receive session ID (the far end sends with it).</summary>
    public uint NearSessionId => _nearSessionId;

    /// <summary>The responder's receive session ID, once open.</summary>
    public uint FarSessionId { get; private set; }

    /// <summary>Our peer ID (fingerprint of our certificate, RFC 7425 §4.3.2).</summary>
    public ReadOnlyMemory<byte> PeerId => _profile.PeerId.ToArray();

    /// <summary>The far end's peer ID, once open.</summary>
    public ReadOnlyMemory<byte> FarPeerId { get; private set; }

    /// <summary>The Diffie-Hellman group the keying used, once open.</summary>
    public DiffieHellmanGroup? Group { get; private set; }

    /// <summary>
    /// NEAR_NONCE of the session's keying, once open: HMAC-SHA256 keyed with the Diffie-Hellman shared secret over our
    /// own keying component (RFC 7425 §4.6.5; Flash's <c>NetConnection.nearNonce</c>). With <see cref="FarNonce"/> it is
    /// all a protocol layered on the session needs to prove both ends share this session's secret (the NetGroup
    /// handshake, docs/groups.md §6.2) without the secret itself leaving the keying.
    /// </summary>
    public ReadOnlyMemory<byte> NearNonce { get; private set; }

    /// <summary>FAR_NONCE, once open: the same HMAC over the far end's keying component as it was exchanged (RFC 7425 §4.6.5).</summary>
    public ReadOnlyMemory<byte> FarNonce { get; private set; }

    /// <summary>Negotiated HMAC / session sequence numbers (RFC 7425 §4.6.4, §4.6.6), once open.</summary>
    public PacketVerificationSettings Verification { get; private set; }

    /// <summary>From the first IHello to S_OPEN.</summary>
    public TimeSpan HandshakeTime { get; private set; }

    /// <summary>The local socket's address; changes with <see cref="MoveToNewLocalPortAsync"/>.</summary>
    public IPEndPoint? LocalEndPoint => _localEndPoint;

    /// <summary>DESTADDR: where session packets go.</summary>
    public IPEndPoint? RemoteEndPoint => _remoteEndPoint;

    /// <summary>The engine's smoothed RTT (RFC 7016 §3.5.2.2 timestamp echoes), if measured yet.</summary>
    public TimeSpan? SmoothedRtt => _smoothedRttMs < 0 ? null : TimeSpan.FromMilliseconds(_smoothedRttMs);

    /// <summary>Completes when the session is over; an orderly far close completes it as soon as the far end asks.</summary>
    public Task<RtmfpCloseReason> Closed => _closedTcs.Task;

    /// <summary>Flows the far end opened without a return association to one of ours.</summary>
    public ChannelReader<RtmfpIncomingFlow> IncomingFlows => _incoming.Reader;

    // ---------------------------------------------------------------- connect

    /// <summary>Resolves an rtmfp:// URI and opens a session to it on a loop of its own.</summary>
    public static async Task<RtmfpConnection> ConnectAsync(string uri, RtmfpClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parsed = RtmfpUri.Parse(uri);
        var candidates = await parsed.ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(candidates, parsed.CreateEndpointDiscriminator(), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a session on a loop of its own, sending IHellos with <paramref name="endpointDiscriminator"/> to every
    /// candidate (and to Redirect destinations, RFC 7016 §3.5.1.4) until one answers.
    /// </summary>
    public static Task<RtmfpConnection> ConnectAsync(IReadOnlyList<IPEndPoint> candidates, ReadOnlyMemory<byte> endpointDiscriminator,
        RtmfpClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var loop = new RtmfpEventLoop();
        return ConnectAsync(loop, ownsLoop: true, candidates, endpointDiscriminator, options ?? new RtmfpClientOptions(), cancellationToken);
    }

    internal static async Task<RtmfpConnection> ConnectAsync(RtmfpEventLoop loop, bool ownsLoop, IReadOnlyList<IPEndPoint> candidates,
        ReadOnlyMemory<byte> endpointDiscriminator, RtmfpClientOptions options, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0 || endpointDiscriminator.IsEmpty)
        {
            if (ownsLoop)
            {
                loop.Dispose();
            }
            throw new ArgumentException("at least one candidate address and a non-empty EPD");
        }
        FlashCryptoProfile profile;
        try
        {
            profile = options.Profile ?? options.CreateProfile(); // key generation off the loop
        }
        catch
        {
            if (ownsLoop)
            {
                loop.Dispose();
            }
            throw;
        }
        var connection = new RtmfpConnection(loop, ownsLoop, options, profile, options.Profile is null, endpointDiscriminator.ToArray());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        IPEndPoint[] targets = candidates.ToArray();
        if (!connection.TryPost(() => connection.Start(targets)))
        {
            connection.DisposeOwned();
            throw new RtmfpConnectException(RtmfpConnectFailure.Cancelled, "the event loop is stopped");
        }
        await using (timeout.Token.Register(() =>
        {
            var failure = cancellationToken.IsCancellationRequested ? RtmfpConnectFailure.Cancelled : RtmfpConnectFailure.Timeout;
            string message = cancellationToken.IsCancellationRequested ? "cancelled" : $"no answer within {options.ConnectTimeout.TotalSeconds:0.#} s";
            if (!connection.TryPost(() => connection.FailConnect(failure, message)))
            {
                // The loop is gone (client disposed): nothing else will complete the task.
                connection._connectTcs.TrySetException(new RtmfpConnectException(RtmfpConnectFailure.Cancelled, "the event loop stopped"));
            }
        }).ConfigureAwait(false))
        {
            return await connection._connectTcs.Task.ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- flows

    /// <summary>Opens a sending flow with <paramref name="metadata"/>; the far end's return flows deliver into it.</summary>
    public RtmfpFlow OpenFlow(ReadOnlyMemory<byte> metadata)
    {
        var flow = new RtmfpFlow(this, metadata.ToArray());
        if (!TryPost(() => OpenFlowOnLoop(flow)))
        {
            flow.FailOpen(new InvalidOperationException("the connection is closed"));
        }
        return flow;
    }

    /// <summary>Opens a sending flow whose metadata is the UTF-8 of <paramref name="metadata"/> (e.g. "echo").</summary>
    public RtmfpFlow OpenFlow(string metadata) => OpenFlow(System.Text.Encoding.UTF8.GetBytes(metadata));

    // ---------------------------------------------------------------- ping, mobility, close

    /// <summary>
    /// Round trip of a Ping chunk answered by the far end's Ping Reply (RFC 7016 §2.3.9, §2.3.10). No retransmission:
    /// a lost ping fails with <see cref="TimeoutException"/> after <see cref="RtmfpClientOptions.AnswerTimeout"/>.
    /// </summary>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryPost(() => StartPing(done)))
        {
            done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        return Answer.WithinAsync(done.Task, Options.AnswerTimeout, "a ping", cancellationToken);
    }

    /// <summary>Shortens the session's keepalive interval (never lengthens it; RFC 7016 §3.5.4.1).</summary>
    internal void TightenKeepalive(TimeSpan interval) =>
        TryPost(() => _session?.TightenLiveness(Math.Max(1, (long)interval.TotalMilliseconds), long.MaxValue));

    /// <summary>Time until the session's next timer, read on the loop (tests: only the keepalive left means the session is idle).</summary>
    internal Task<TimeSpan> NextTimerAsync()
    {
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryPost(() =>
            {
                long now = MonotonicClock.NowMs;
                done.TrySetResult(_session is { } session ? TimeSpan.FromMilliseconds(session.NextWakeupMs(now) - now) : Timeout.InfiniteTimeSpan);
            }))
        {
            done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        return done.Task;
    }

    /// <summary>
    /// Rebinds to a new ephemeral port on the same local address mid-session and announces it with a Ping; the far
    /// end verifies the new address before sending there (RFC 7016 §3.5.4.2). No new handshake.
    /// </summary>
    public Task<IPEndPoint> MoveToNewLocalPortAsync()
    {
        var done = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryPost(() => MoveOnLoop(done)))
        {
            done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        return done.Task;
    }

    /// <summary>
    /// Orderly close (RFC 7016 §3.5.5): Close Request until acknowledged. Cancelling aborts instead.
    /// Returns how the session ended.
    /// </summary>
    public async Task<RtmfpCloseReason> CloseAsync(CancellationToken cancellationToken = default)
    {
        TryPost(BeginCloseOnLoop);
        try
        {
            return await Closed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Abort();
            throw;
        }
    }

    /// <summary>Abrupt close: one Close Acknowledgement, then nothing (RFC 7016 §3.5.5.2).</summary>
    public void Abort() => TryPost(AbortOnLoop);

    /// <summary>Closes in order, waiting at most two seconds for the acknowledgement, then aborts.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Closed.IsCompleted)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await CloseAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        Abort();
        if (_ownsLoop)
        {
            await _loop.Stopped.ConfigureAwait(false);
        }
    }

    internal bool TryPost(Action action)
    {
        try
        {
            _loop.Post(action);
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void DisposeOwned()
    {
        if (_ownsProfile)
        {
            _profile.Dispose();
        }
        if (_ownsLoop)
        {
            _loop.Stop();
        }
    }

}
