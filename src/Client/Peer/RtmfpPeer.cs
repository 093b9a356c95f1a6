using System.Net;
using System.Threading.Channels;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client.Peer;

/// <summary>
/// A client of a rendezvous server that meets other clients by peer ID (RFC 7425 §5.4): connected (session and
/// Flash NetConnection) to the server, it opens direct sessions to peers through the server's introduction
/// (IHello with the peer's fingerprint EPD → Redirect, FIHello → RHello, RFC 7016 §3.5.1.4–§3.5.1.6), and
/// answers peers that want to reach it on the socket the server knows, surfacing them in <see cref="IncomingPeers"/>.
/// </summary>
public sealed class RtmfpPeer : IAsyncDisposable
{
    private readonly RtmfpPeerOptions _options;
    private readonly FlashCryptoProfile _profile;
    private readonly bool _ownsProfile;
    private readonly IPEndPoint[] _server;
    private readonly List<RtmfpConnection> _outgoing = new();
    private PeerHost? _host;
    private RtmfpFlow? _control;

    private RtmfpPeer(RtmfpConnection server, IPEndPoint[] serverAddresses, RtmfpPeerOptions options, FlashCryptoProfile profile, bool ownsProfile)
    {
        Server = server;
        _server = serverAddresses;
        _options = options;
        _profile = profile;
        _ownsProfile = ownsProfile;
    }

    /// <summary>The session with the server (our introducer).</summary>
    public RtmfpConnection Server { get; }

    /// <summary>Our peer ID: SHA-256 of our certificate (RFC 7425 §4.3.2), what other peers ask the server for.</summary>
    public ReadOnlyMemory<byte> PeerId => Server.PeerId;

    public string PeerIdHex => Convert.ToHexStringLower(PeerId.Span);

    /// <summary>Direct sessions peers opened to us (we are the responder); completes when the server session ends.</summary>
    public ChannelReader<RtmfpConnection> IncomingPeers => _host!.Incoming;

    /// <summary>
    /// Connects to <paramref name="uri"/> (rtmfp://host:port/app), completes the Flash <c>connect</c> so the server
    /// lists us, and starts answering peers.
    /// </summary>
    public static async Task<RtmfpPeer> ConnectAsync(string uri, RtmfpPeerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RtmfpPeerOptions();
        var parsed = RtmfpUri.Parse(uri);
        var candidates = await parsed.ResolveAsync(cancellationToken).ConfigureAwait(false);
        bool ownsProfile = options.Client.Profile is null;
        var profile = options.Client.Profile ?? options.Client.CreateProfile();
        RtmfpConnection? server = null;
        try
        {
            server = await RtmfpConnection.ConnectAsync(candidates, parsed.CreateEndpointDiscriminator(),
                options.Client with { Profile = profile }, cancellationToken).ConfigureAwait(false);
            var peer = new RtmfpPeer(server, candidates, options, profile, ownsProfile);
            var enabled = new TaskCompletionSource<PeerHost>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!server.TryPost(() => enabled.TrySetResult(server.EnablePeerHosting(options.AcceptPeer))))
            {
                throw new RtmfpConnectException(RtmfpConnectFailure.Cancelled, "the event loop stopped");
            }
            peer._host = await enabled.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            string app = parsed.Path.TrimStart('/');
            peer._control = await PeerNetConnection.ConnectAsync(server, parsed.Text, app, cancellationToken).ConfigureAwait(false);
            return peer;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            if (ownsProfile)
            {
                profile.Dispose();
            }
            throw;
        }
    }

    /// <summary>Opens a direct session to the peer with this ID (hex, 64 digits).</summary>
    public Task<RtmfpConnection> ConnectToPeerAsync(string peerIdHex, CancellationToken cancellationToken = default) =>
        ConnectToPeerAsync(Convert.FromHexString(peerIdHex), cancellationToken);

    /// <summary>
    /// Opens a direct session to the peer with this ID: an IHello with its fingerprint EPD (RFC 7425 §4.4.1) to
    /// the server, whose Redirect lists the peer's addresses while its FIHello makes the peer answer us
    /// (RFC 7016 §3.5.1.6). Fails with <see cref="RtmfpConnectException"/> (Timeout) when nobody answers,
    /// e.g. an unknown peer ID or a peer that refuses us.
    /// </summary>
    public async Task<RtmfpConnection> ConnectToPeerAsync(ReadOnlyMemory<byte> peerId, CancellationToken cancellationToken = default)
    {
        if (peerId.Length != FlashCertificate.FingerprintLength)
        {
            throw new ArgumentException($"a peer ID is {FlashCertificate.FingerprintLength} bytes", nameof(peerId));
        }
        byte[] epd = EndpointDiscriminator.CreateCanonical(peerId.Span);
        var options = _options.Client with { Profile = _profile, ConnectTimeout = _options.PeerConnectTimeout };
        // A socket of its own: the server tells the peer the address our IHello came from (the FIHello's reply address).
        var connection = await RtmfpConnection.ConnectAsync(Server.Loop, ownsLoop: false, _server, epd, options, cancellationToken)
            .ConfigureAwait(false);
        lock (_outgoing)
        {
            _outgoing.RemoveAll(c => c.Closed.IsCompleted); // a peer that meets many others over time keeps only live ones
            _outgoing.Add(connection);
        }
        return connection;
    }

    /// <summary>Connects to the peer and sends it a file (see <see cref="PeerFileTransfer.SendFileAsync"/>), then closes that session.</summary>
    public async Task<FileTransferResult> SendFileAsync(ReadOnlyMemory<byte> peerId, Stream source, string name,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var connection = await ConnectToPeerAsync(peerId, cancellationToken).ConfigureAwait(false);
        try
        {
            return await PeerFileTransfer.SendFileAsync(connection, source, name, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes our direct sessions, then the server session (which aborts the sessions peers opened to us).</summary>
    public async ValueTask DisposeAsync()
    {
        RtmfpConnection[] outgoing;
        lock (_outgoing)
        {
            outgoing = _outgoing.ToArray();
            _outgoing.Clear();
        }
        foreach (var connection in outgoing)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        _control?.Close();
        await Server.DisposeAsync().ConfigureAwait(false);
        if (_ownsProfile)
        {
            _profile.Dispose();
        }
    }
}
