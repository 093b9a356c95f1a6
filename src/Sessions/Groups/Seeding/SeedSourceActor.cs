using System.Buffers;
using System.Security.Cryptography;
using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Groups.Seeding;

/// <summary>
/// The source of one seeded group stream (docs/groups.md §7), a sharded entity per group ID (role sessions): it
/// subscribes to the published stream's entity once, numbers the stream's fragments (§6.5) under a publication key of
/// its own, and sends each frame's fragments in one <see cref="SeedFragments"/> to every node's fan-out that
/// registered. Members on every node thus see one publication with one numbering, and a frame crosses to each node
/// once, whatever the number of members. Codec sequence headers are sent again before a keyframe (at most once a
/// second, as <c>GroupPublication</c> does), so members that join late can decode.
/// </summary>
internal sealed class SeedSourceActor : ReceiveActor, IWithTimers
{
    private sealed class Resubscribe
    {
        public static readonly Resubscribe Instance = new();
    }

    private const long HeaderRepeatMs = 1000;
    private const long SubscriptionId = 1;

    private readonly GroupSeed? _seed;
    private readonly Func<IActorRef> _streams;
    private readonly GroupSeedStatistics _statistics;
    private readonly HashSet<IActorRef> _fanouts = [];
    private byte[] _streamKey = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private ulong _next = 1;
    private int _count;
    private IActorRef? _entity;
    private MediaFrame? _videoHeader, _audioHeader;
    private long _videoHeaderSentMs = long.MinValue / 4, _audioHeaderSentMs = long.MinValue / 4;

    public SeedSourceActor(string entityId, IReadOnlyList<GroupSeed> seeds, Func<IActorRef> streams, GroupSeedStatistics statistics)
    {
        _seed = seeds.FirstOrDefault(s => s.GroupIdHex == entityId);
        _streams = streams;
        _statistics = statistics;
        NewStreamKey();
        Receive<RegisterSeedFanout>(OnRegister);
        Receive<StreamSubscribed>(_ => OnSubscribed());
        Receive<StreamEventDelivery>(d =>
        {
            if (d.Event is MediaFrame frame)
            {
                OnFrame(frame);
            }
            else if (d.Event is UnpublishNotify)
            {
                EndPublication();
            }
        });
        Receive<StreamEntityStopped>(_ => Subscribe());
        Receive<Resubscribe>(_ => Subscribe());
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The key option (docs/groups.md §6.5): <c>21 01</c> and 32 random bytes, new for each publication and each
    /// incarnation of the source, so a restarted source (numbering from 1 again) is never a confusing continuation.
    /// </summary>
    private void NewStreamKey()
    {
        _streamKey = new byte[34];
        _streamKey[0] = 0x21;
        _streamKey[1] = 0x01;
        RandomNumberGenerator.Fill(_streamKey.AsSpan(2));
        _next = 1;
        _videoHeader = _audioHeader = null;
    }

    /// <summary>
    /// The publisher stopped: the fan-outs end the group publication (members hear its last fragment) and the next
    /// publisher's frames are a new one, as two publications of one name are two streams to members.
    /// </summary>
    private void EndPublication()
    {
        if (_next == 1)
        {
            return; // nothing was numbered under this key
        }
        var end = new SeedFragments(_seed!.GroupId, _streamKey, [], 0);
        foreach (var fanout in _fanouts)
        {
            fanout.Tell(end, Self);
        }
        NewStreamKey();
    }

    protected override void PreStart()
    {
        if (_seed is null)
        {
            Context.Stop(Self); // not a configured seed (an entity ID from a stale or foreign message)
            return;
        }
        Subscribe();
    }

    /// <summary>Subscribes (again) until the stream entity confirms: a lost subscription is retried every 2 s.</summary>
    private void Subscribe()
    {
        _entity = null;
        _streams().Tell(new SubscribeStream(_seed!.Stream, Self, SubscriptionId), Self);
        Timers.StartPeriodicTimer("resubscribe", Resubscribe.Instance, TimeSpan.FromSeconds(2));
    }

    private void OnSubscribed()
    {
        Timers.Cancel("resubscribe");
        if (!Sender.IsNobody() && !Equals(Sender, _entity))
        {
            _entity = Sender;
            Context.Watch(Sender); // its node may die: subscribe to its next incarnation
        }
    }

    private void OnRegister(RegisterSeedFanout register)
    {
        if (_fanouts.Add(register.Fanout))
        {
            Context.Watch(register.Fanout);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_fanouts.Remove(terminated.ActorRef))
        {
            return;
        }
        if (Equals(terminated.ActorRef, _entity))
        {
            Subscribe();
        }
    }

    private void OnFrame(MediaFrame frame)
    {
        if (frame.Message.Length <= RtmpMessage.HeaderLength)
        {
            return; // a cleared data frame carries nothing a member could use
        }
        long now = Environment.TickCount64;
        _buffer.ResetWrittenCount();
        _count = 0;
        switch (frame.Kind)
        {
            case MediaFrameKind.VideoConfig:
                _videoHeader = frame;
                _videoHeaderSentMs = now;
                break;
            case MediaFrameKind.AudioConfig:
                _audioHeader = frame;
                _audioHeaderSentMs = now;
                break;
            case MediaFrameKind.VideoKeyframe when _videoHeader is not null && now - _videoHeaderSentMs >= HeaderRepeatMs:
                _videoHeaderSentMs = now;
                Fragment(_videoHeader);
                break;
            case MediaFrameKind.Audio when _audioHeader is not null && now - _audioHeaderSentMs >= HeaderRepeatMs:
                _audioHeaderSentMs = now;
                Fragment(_audioHeader);
                break;
        }
        Fragment(frame);
        if (_count == 0 || _fanouts.Count == 0)
        {
            return;
        }
        var message = new SeedFragments(_seed!.GroupId, _streamKey, _buffer.WrittenSpan.ToArray(), _count);
        int remote = 0;
        foreach (var fanout in _fanouts)
        {
            fanout.Tell(message, Self);
            remote += fanout.Path.Address.HasGlobalScope ? 1 : 0;
        }
        _statistics.SourceFrame(_fanouts.Count, remote);
    }

    /// <summary>One RTMP message as fragments of at most 959 bytes (docs/groups.md §6.5), each <c>VLU length | fragment</c>.</summary>
    private void Fragment(MediaFrame frame)
    {
        var payload = frame.Message.Span[RtmpMessage.HeaderLength..];
        if (payload.Length > GroupMedia.MaxMessageLength)
        {
            return; // larger than a group stream message can be (its parts are counted in one byte)
        }
        int count = GroupFragment.CountFor(payload.Length);
        for (int i = 0; i < count; i++)
        {
            int offset = i * GroupFragment.MaxPayload;
            var part = payload.Slice(offset, Math.Min(GroupFragment.MaxPayload, payload.Length - offset));
            var header = new GroupFragment(GroupFragment.MarkerFor(i, count), _next++, (byte)(count - 1 - i), (byte)frame.Type, frame.Timestamp);
            byte[] fragment = header.ToMessage(part);
            _buffer.Advance(Vlu.Write(_buffer.GetSpan(Vlu.MaxLength), (ulong)fragment.Length));
            _buffer.Write(fragment);
            _count++;
        }
    }
}
