using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>
/// A minimal host around the handshake classes: opening sessions, a peer responder and a table of open
/// sessions, fed with sealed datagrams as a socket would.
/// </summary>
internal sealed class TestPeer : IHandshakeSessionLookup, IDisposable
{
    private uint _nextSessionId;

    public TestPeer(string endpoint, FlashCryptoProfile profile, uint firstSessionId)
    {
        Address = StartupWire.At(endpoint);
        Profile = profile;
        Responder = new PeerResponder(profile, Enumerable.Range(0, 32).Select(i => (byte)(i + firstSessionId)).ToArray());
        _nextSessionId = firstSessionId;
    }

    public SocketAddress Address { get; }
    public FlashCryptoProfile Profile { get; }
    public PeerResponder Responder { get; }
    public List<InitiatorHandshake> Opening { get; } = new();
    public List<HandshakeResult> Open { get; } = new();
    public List<IIKeyingOutcome> Outcomes { get; } = new();

    public InitiatorHandshake Connect(ReadOnlySpan<byte> epd, long nowMs, params SocketAddress[] candidates)
    {
        var h = new InitiatorHandshake(Profile, epd, _nextSessionId++, candidates, nowMs);
        Opening.Add(h);
        return h;
    }

    /// <summary>Handles one datagram from <paramref name="from"/>; returns the datagrams to send, with destinations.</summary>
    public List<(SocketAddress To, byte[] Datagram)> Deliver(byte[] datagram, SocketAddress from, long nowMs)
    {
        var output = new List<(SocketAddress, byte[])>();
        var (sid, plain) = StartupWire.Open(datagram);
        if (sid != 0)
        {
            foreach (var h in Opening.Where(h => h.InitiatorSessionId == sid).ToList())
            {
                h.Receive(plain, sid, from, nowMs);
                Settle(h);
            }
            return output;
        }
        Assert.True(StartupPacket.TryRead(plain, out var chunks));
        while (chunks.MoveNext())
        {
            var chunk = chunks.Current;
            switch (chunk.Type)
            {
                case ChunkType.IHello:
                    if (Responder.TryAnswerIHello(chunk.Payload, from, nowMs, out var rhello))
                    {
                        output.Add((rhello.Destination, StartupWire.Seal(rhello)));
                    }
                    break;
                case ChunkType.IIKeying:
                    var outcome = Responder.OnIIKeying(chunk.Payload, from, nowMs, _nextSessionId, this);
                    Outcomes.Add(outcome);
                    if (outcome.Disposition == IIKeyingDisposition.Opened)
                    {
                        _nextSessionId++;
                        if (outcome.StaleSession is not null)
                        {
                            Open.Remove(outcome.StaleSession);
                        }
                        outcome.AbortOpening?.Abort();
                        Open.Add(outcome.Result!);
                    }
                    if (outcome.Packet is not null)
                    {
                        output.Add((outcome.Packet.Destination, StartupWire.Seal(outcome.Packet)));
                    }
                    break;
                case ChunkType.RHello:
                case ChunkType.ResponderRedirect:
                    foreach (var h in Opening.ToList())
                    {
                        h.Receive(plain, 0, from, nowMs);
                        Settle(h);
                    }
                    break;
            }
        }
        return output;
    }

    /// <summary>Due IHello/IIKeying transmissions of every opening session.</summary>
    public List<(SocketAddress To, byte[] Datagram)> Poll(long nowMs)
    {
        var output = new List<(SocketAddress, byte[])>();
        foreach (var h in Opening.ToList())
        {
            while (h.TryBuildPacket(nowMs, out var packet))
            {
                output.Add((packet.Destination, StartupWire.Seal(packet)));
            }
            Settle(h);
        }
        return output;
    }

    private void Settle(InitiatorHandshake h)
    {
        if (h.State == InitiatorState.Open && h.Result is not null && !Open.Contains(h.Result))
        {
            Open.Add(h.Result);
            Opening.Remove(h);
        }
        else if (h.State == InitiatorState.OpenFailed)
        {
            Opening.Remove(h);
        }
    }

    public InitiatorHandshake? FindOpeningTo(SocketAddress address) => Opening.FirstOrDefault(h => h.IsOpeningTo(address));

    public HandshakeResult? FindOpenAt(SocketAddress address) => Open.FirstOrDefault(r => r.FarAddress.Equals(address));

    public void Dispose()
    {
        foreach (var h in Opening)
        {
            h.Dispose();
        }
        Profile.Dispose();
    }
}

/// <summary>Delivers datagrams between test peers by address, like a lossless loopback network.</summary>
internal sealed class TestNetwork
{
    private readonly List<TestPeer> _peers;

    public TestNetwork(params TestPeer[] peers) => _peers = peers.ToList();

    public long Now { get; set; }
    public int Delivered { get; private set; }

    /// <summary>Sends everything queued, and everything that triggers, until quiet.</summary>
    public void Run(List<(SocketAddress To, byte[] Datagram)> queue, TestPeer from)
    {
        var pending = new Queue<(TestPeer From, SocketAddress To, byte[] Datagram)>(queue.Select(q => (from, q.To, q.Datagram)));
        while (pending.Count > 0)
        {
            var (sender, to, datagram) = pending.Dequeue();
            var receiver = _peers.FirstOrDefault(p => p.Address.Equals(to));
            if (receiver is null)
            {
                continue; // nobody there
            }
            Delivered++;
            foreach (var reply in receiver.Deliver(datagram, sender.Address, Now))
            {
                pending.Enqueue((receiver, reply.To, reply.Datagram));
            }
            foreach (var reply in receiver.Poll(Now))
            {
                pending.Enqueue((receiver, reply.To, reply.Datagram));
            }
        }
    }

    public void Poll(TestPeer peer) => Run(peer.Poll(Now), peer);
}
