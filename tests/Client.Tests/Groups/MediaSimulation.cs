using Rtmfp.Client.Groups;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Tests.Groups;

/// <summary>
/// Group streams (<see cref="GroupMedia"/>) of several members linked in memory, on a simulated clock: every message a
/// member sends is delivered to its neighbour after <see cref="LatencyMs"/>, decoded as a member's dispatcher decodes
/// it (docs/groups.md §6.5). Links can drop messages (a lossy network without RTMFP's retransmission) or be cut.
/// </summary>
internal sealed class MediaSimulation
{
    private readonly List<(long At, long Seq, Action Deliver)> _inFlight = [];
    private readonly Random _random;
    private long _seq;

    public MediaSimulation(int seed = 1)
    {
        _random = new Random(seed);
    }

    public long NowMs { get; private set; } = 1_000;

    public long LatencyMs { get; set; } = 10;

    /// <summary>Extra delay drawn per message, up to this (a loaded machine); each link still delivers in order.</summary>
    public long JitterMs { get; set; }

    /// <summary>Share of data messages (fragments) lost in flight.</summary>
    public double DataLoss { get; set; }

    public List<Member> Members { get; } = [];

    public Member AddMember(string name, GroupMedia media)
    {
        var member = new Member(this, name, media);
        Members.Add(member);
        return member;
    }

    /// <summary>Links two members both ways (a session between them).</summary>
    public void Connect(Member a, Member b)
    {
        var ab = new MediaLinkSim(this, a, b);
        var ba = new MediaLinkSim(this, b, a);
        a.Links[b.Name] = ab;
        b.Links[a.Name] = ba;
        ab.Peer = a.Media.AddPeer(ab);
        ba.Peer = b.Media.AddPeer(ba);
    }

    public void Cut(Member a, Member b)
    {
        if (a.Links.Remove(b.Name, out var ab))
        {
            ab.Cut = true;
            a.Media.RemovePeer(ab.Peer!);
        }
        if (b.Links.Remove(a.Name, out var ba))
        {
            ba.Cut = true;
            b.Media.RemovePeer(ba.Peer!);
        }
    }

    internal void Send(long delay, Action deliver) => _inFlight.Add((NowMs + delay, _seq++, deliver));

    /// <summary>When a message sent now on a link arrives: latency plus jitter, never before the link's previous one.</summary>
    internal long Delay(ref long linkLastDue)
    {
        long due = Math.Max(NowMs + LatencyMs + (JitterMs > 0 ? _random.NextInt64(JitterMs) : 0), linkLastDue);
        linkLastDue = due;
        return due - NowMs;
    }

    internal bool Lose() => DataLoss > 0 && _random.NextDouble() < DataLoss;

    /// <summary>Advances time by <paramref name="ms"/> in 10 ms steps: messages due are delivered, every member is managed.</summary>
    public void Run(long ms)
    {
        long end = NowMs + ms;
        while (NowMs < end)
        {
            NowMs += 10;
            DeliverDue();
            foreach (var member in Members)
            {
                member.Media.Manage(NowMs);
            }
            DeliverDue();
        }
    }

    private void DeliverDue()
    {
        while (true)
        {
            int next = -1;
            for (int i = 0; i < _inFlight.Count; i++)
            {
                if (_inFlight[i].At <= NowMs && (next < 0 || _inFlight[i].Seq < _inFlight[next].Seq))
                {
                    next = i;
                }
            }
            if (next < 0)
            {
                return;
            }
            var deliver = _inFlight[next].Deliver;
            _inFlight.RemoveAt(next);
            deliver();
        }
    }

    internal sealed class Member(MediaSimulation simulation, string name, GroupMedia media)
    {
        public string Name { get; } = name;

        public GroupMedia Media { get; } = media;

        public Dictionary<string, MediaLinkSim> Links { get; } = [];

        public List<GroupMediaMessage> Received { get; } = [];

        public MediaSimulation Simulation { get; } = simulation;
    }

    /// <summary>One direction of a session: what <see cref="From"/> sends reaches <see cref="To"/>.</summary>
    internal sealed class MediaLinkSim(MediaSimulation simulation, Member from, Member to) : IMediaLink
    {
        public Member From { get; } = from;

        public Member To { get; } = to;

        public PeerMedia? Peer { get; set; }

        public bool Cut { get; set; }

        /// <summary>The far end sent us its media infos: our data may go (it names the flow ours answers).</summary>
        public bool FarSubscribed { get; set; }

        public string PeerId => To.Name;

        private long _lastDue;

        public void SendReport(byte[] message)
        {
            if (Cut)
            {
                return;
            }
            simulation.Send(simulation.Delay(ref _lastDue), () =>
            {
                if (!Cut && To.Links.TryGetValue(From.Name, out var back))
                {
                    ReceiveReport(back, message);
                }
            });
        }

        public bool SendData(byte[] message)
        {
            if (Cut || !FarSubscribed)
            {
                return false;
            }
            if (simulation.Lose())
            {
                return true;
            }
            simulation.Send(simulation.Delay(ref _lastDue), () =>
            {
                if (!Cut && To.Links.TryGetValue(From.Name, out var back) && GroupFragment.TryRead(message, out var header, out int offset))
                {
                    To.Media.OnFragment(back.Peer!, header, message, offset, simulation.NowMs);
                }
            });
            return true;
        }

        /// <summary>What a member's dispatcher does with a media report flow message (NetGroupMember.Media).</summary>
        private void ReceiveReport(MediaLinkSim back, byte[] message)
        {
            var media = To.Media;
            var peer = back.Peer!;
            switch ((GroupMessageType)message[0])
            {
                case GroupMessageType.MediaInfos when GroupMediaInfo.TryReadEnd(message, out ulong end):
                    media.OnEnd(end);
                    break;
                case GroupMessageType.MediaInfos:
                    back.FarSubscribed = true;
                    media.OnMediaInfos(peer);
                    break;
                default:
                    media.OnControl(peer, message, simulation.NowMs);
                    break;
            }
        }
    }
}
