using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Sessions.Flows;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Sessions.Groups.Seeding;

/// <summary>
/// The server member's side of one member's group session (docs/groups.md §6.1–6.3, §7): a member opened an ordinary
/// session to the node for the server member's peer ID (the gateway answered for it), and this service speaks the
/// peer-to-peer group protocol on its "GR" flows as any member would: GROUP_INIT checked and answered (it proves the
/// member knows the specifier and is the far end of this session), Group Begin, reports; then the stream through the
/// node's fan-out (<see cref="SeedFanoutActor"/>): what the member sends about it goes there, what the fan-out sends
/// goes out on our media flows. Ask-close is never granted: the server member is the stream's source. Runs on the
/// session's thread.
/// </summary>
internal sealed class SeedPeerService : IFlowService
{
    /// <summary>Group flows a member may open in this session (main, one media report flow, posting, messages, …).</summary>
    private const int MaxFlows = 8;

    /// <summary>Bytes a member's group flow may buffer: reports and maps are small, and nothing big flows our way.</summary>
    private const long FlowBufferCapacity = 64 * 1024;

    /// <summary>
    /// Fragments queued for a member that does not keep up: beyond, new ones are dropped (the member pulls what it lacks
    /// from others or gives it up, docs/groups.md §6.5) instead of growing the queue without bound.
    /// </summary>
    private const int MaxQueuedData = 2048;

    private static long s_nextLinkId;

    private readonly Session _engine;
    private readonly GroupSeed _seed;
    private readonly byte[] _nearNonce, _farNonce, _memberPeerId;
    private readonly IActorRef _fanout, _self;
    private readonly GroupSeedStatistics _statistics;
    private readonly long _linkId = Interlocked.Increment(ref s_nextLinkId);
    private RecvFlow? _farMain, _farMedia;
    private SendFlow? _main, _report, _data;
    private int _flows;
    private bool _initChecked, _reportSent, _awaitingAnswer, _linked;

    public SeedPeerService(Session engine, GroupSeed seed, OpenSession open, IActorRef fanout, IActorRef self, GroupSeedStatistics statistics)
    {
        _engine = engine;
        _seed = seed;
        _nearNonce = open.Crypto.NearNonce;
        _farNonce = open.Crypto.FarNonce;
        _memberPeerId = open.FarPeerId;
        _fanout = fanout;
        _self = self;
        _statistics = statistics;
    }

    /// <summary>Messages on group flows that were not usable (before GROUP_INIT, unknown, or not for the server member).</summary>
    public long Ignored { get; private set; }

    public bool IsLinked => _linked;

    /// <summary>
    /// The service of a session opened for a server member: the one whose identity the member's IHello named (the EPD
    /// the gateway remembered under the cookie, with which it keyed the session); null for any other session.
    /// </summary>
    /// <summary>Whether a session opened with <paramref name="open"/> may be one of a server member (and needs its nonces).</summary>
    public static bool MayServe(FlashServices? flash, OpenSession open)
    {
        if (flash is null)
        {
            return false;
        }
        foreach (var seed in flash.Seeds)
        {
            if (seed.Identity.IsSelectedBy(open.EndpointDiscriminator))
            {
                return true;
            }
        }
        return false;
    }

    public static SeedPeerService? TryCreate(FlashServices? flash, Session engine, OpenSession open, IActorRef self)
    {
        if (flash is null || flash.Seeds.Count == 0)
        {
            return null;
        }
        foreach (var seed in flash.Seeds)
        {
            if (seed.Identity.IsSelectedBy(open.EndpointDiscriminator) && flash.SeedFanouts?.Find(seed.GroupIdHex) is { } fanout)
            {
                return new SeedPeerService(engine, seed, open, fanout, self, flash.SeedStatistics);
            }
        }
        return null;
    }

    public bool TryAccept(RecvFlow flow)
    {
        if (!GroupFlows.TryRead(flow.Metadata.Span, out var kind) || _flows >= MaxFlows)
        {
            return false;
        }
        _flows++;
        flow.BufferCapacity = FlowBufferCapacity;
        flow.Tag = kind;
        if (kind == GroupFlowKind.Report)
        {
            _farMain ??= flow;
        }
        return true;
    }

    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return;
        }
        var type = (GroupMessageType)message[0];
        if (type == GroupMessageType.Init)
        {
            OnInit(flow, message);
            return;
        }
        if (!_initChecked)
        {
            Ignored++; // nothing a member says is read before its GROUP_INIT checked out (docs/groups.md §6.2)
            return;
        }
        switch (type)
        {
            case GroupMessageType.Begin or GroupMessageType.BeginNearest:
                if (!_reportSent)
                {
                    SendReport(answer: false);
                }
                break;
            case GroupMessageType.Report:
                OnReport(message);
                break;
            case GroupMessageType.MediaInfos or GroupMessageType.FragmentsMap or GroupMessageType.Push or GroupMessageType.Pull
                when flow.Tag is GroupFlowKind.MediaReport:
                if (type == GroupMessageType.MediaInfos && !GroupMediaInfo.TryReadEnd(message, out _))
                {
                    _farMedia = flow; // our fragments go in return to it (docs/groups.md §6.1)
                }
                _fanout.Tell(new SeedLinkMessage(_linkId, message.ToArray()), _self);
                break;
            case GroupMessageType.BeginData or GroupMessageType.AskClose:
                break; // ask-close: the server member is the source; it stays (docs/groups.md §7)
            default:
                Ignored++; // fragments (we are the source), posts, NetGroup messages: not for the server member
                break;
        }
    }

    /// <summary>GROUP_INIT (docs/groups.md §6.2), checked against the seeded group, our peer ID and this session's nonce.</summary>
    private void OnInit(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (_initChecked)
        {
            return;
        }
        var specifier = _seed.Identity.Specifier;
        if (!GroupInit.TryRead(message, out var groupIdHex, out var key, out var receiver)
            || !GroupInit.IsGroup(groupIdHex, specifier.GroupId) || !receiver.SequenceEqual(_seed.Identity.PeerId)
            || !key.SequenceEqual(GroupInit.ComputeKey(specifier.HashedText, _nearNonce)))
        {
            // Not a member of this group, or not knowing its specifier: no business with the server member, and no
            // state kept for it (RFC 7016 §3.6.3.7: the flow is refused).
            Ignored++;
            flow.Reject(0);
            return;
        }
        _initChecked = true;
        _main = _engine.OpenFlow(GroupFlows.Metadata(GroupFlowKind.Report));
        _main.Write(GroupInit.Write(specifier.GroupId, GroupInit.ComputeKey(specifier.HashedText, _farNonce), _memberPeerId));
        _main.Write(new[] { (byte)GroupMessageType.BeginData });
        _main.Write(new[] { (byte)GroupMessageType.Begin });
    }

    /// <summary>A member's report (docs/groups.md §6.3): answered unless it answers ours; the first one links the member to the stream.</summary>
    private void OnReport(ReadOnlySpan<byte> message)
    {
        if (GroupReport.TryRead(message) is null)
        {
            Ignored++;
            return;
        }
        if (_awaitingAnswer)
        {
            _awaitingAnswer = false;
        }
        else
        {
            SendReport(answer: true);
        }
        if (!_linked)
        {
            _linked = true;
            _fanout.Tell(new SeedLinkOpened(_linkId, _self, Convert.ToHexStringLower(_memberPeerId)), _self);
        }
    }

    /// <summary>
    /// Our report: the member's address as we see it, and no members: the server member takes no part in the overlay's
    /// topology (the group entity orchestrates it, docs/groups.md §3); members find each other through the server.
    /// </summary>
    private void SendReport(bool answer)
    {
        if (_main is null)
        {
            return;
        }
        Address? observed = Address.TryFromSocketAddress(_engine.FarAddress, AddressOrigin.Observed, out var far) ? far.UnmapIPv4() : null;
        _main.Write(new GroupReport(observed, null, [], []).ToMessage());
        _reportSent = true;
        _awaitingAnswer = !answer;
    }

    /// <summary>What the fan-out sends this member: media infos, maps (report flow) or fragments (data flow).</summary>
    public void Send(SeedSend send)
    {
        if (send.LinkId != _linkId || _engine.State != SessionState.Open)
        {
            return;
        }
        if (!send.Data)
        {
            // docs/groups.md §6.1: our media report flow answers the member's main flow.
            _report ??= _engine.OpenFlow(GroupFlows.Metadata(GroupFlowKind.MediaReport), _farMain);
            _report.Write(send.Message);
            return;
        }
        if (_farMedia is null)
        {
            return; // the member has not subscribed: its media flow, which ours answers, is not there yet
        }
        _data ??= _engine.OpenFlow(GroupFlows.Metadata(GroupFlowKind.MediaData), _farMedia);
        if (_data.QueuedFragmentCount >= MaxQueuedData)
        {
            _statistics.DroppedMemberSend();
            return;
        }
        _data.Write(send.Message);
    }

    public void OnFlowComplete(RecvFlow flow)
    {
        _flows--;
        if (ReferenceEquals(flow, _farMain))
        {
            Leave(); // the member left the group on this session
        }
        else if (ReferenceEquals(flow, _farMedia))
        {
            _farMedia = null;
        }
    }

    public void OnFlowException(SendFlow flow)
    {
    }

    /// <summary>The session ends, or the member left: the fan-out forgets it.</summary>
    public void Leave()
    {
        if (_linked)
        {
            _linked = false;
            _fanout.Tell(new SeedLinkClosed(_linkId), _self);
        }
    }
}
