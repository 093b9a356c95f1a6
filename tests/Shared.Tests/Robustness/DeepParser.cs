using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Robustness;

/// <summary>The parsers a handler reaches after the wire layer, counted by successful parse.</summary>
internal enum DeepParse
{
    EndpointDiscriminator,
    Certificate,
    KeyingComponent,
    RedirectAddress,
    UserDataOptions,
    FlowMetadata,
    RtmpMessage,
    Command,
    DataMessage,
    UserControlEvent,
    AudioTag,
    VideoTag,
    AmfBody,
    AckRange,
    PacketFragment,
    Count,
}

/// <summary>
/// Visits every chunk of a received packet and pushes each nested structure through its parser, the way the
/// gateway and sessions will: certificates, SKIC/SKRC, EPDs, addresses, User Data options, TC metadata and
/// the RTMP/AMF payload layer. Allocates (certificates, AMF values): it runs outside the allocation measurement.
/// </summary>
internal sealed class DeepParser : IChunkVisitor
{
    private readonly AmfReader _amf = new(AmfLimits.Default with { MaxElements = 4096, MaxDepth = 16 });
    private readonly List<AmfValue> _values = [];

    public long[] Successes { get; } = new long[(int)DeepParse.Count];

    public long Attempts { get; private set; }

    private void Hit(DeepParse parser, bool success)
    {
        Attempts++;
        if (success)
        {
            Successes[(int)parser]++;
        }
    }

    public void OnPacketFragment(PacketFragmentChunk chunk) => Hit(DeepParse.PacketFragment, !chunk.Fragment.IsEmpty);

    public void OnIHello(IHelloChunk chunk) => Hit(DeepParse.EndpointDiscriminator, EndpointDiscriminator.TryParse(chunk.EndpointDiscriminator, out _));

    public void OnFIHello(FIHelloChunk chunk) => Hit(DeepParse.EndpointDiscriminator, EndpointDiscriminator.TryParse(chunk.EndpointDiscriminator, out _));

    public void OnRHello(RHelloChunk chunk) => Hit(DeepParse.Certificate, FlashCertificate.TryParse(chunk.ResponderCertificate, out _));

    public void OnResponderRedirect(ResponderRedirectChunk chunk)
    {
        foreach (var address in chunk.GetDestinations())
        {
            Hit(DeepParse.RedirectAddress, address.Port == address.Port);
        }
    }

    public void OnRHelloCookieChange(RHelloCookieChangeChunk chunk)
    {
    }

    public void OnIIKeying(IIKeyingChunk chunk)
    {
        Hit(DeepParse.Certificate, FlashCertificate.TryParse(chunk.InitiatorCertificate, out var certificate));
        if (certificate is not null)
        {
            foreach (var group in certificate.StaticKeyGroups)
            {
                certificate.TryGetStaticPublicKey(group, out _);
            }
        }
        Hit(DeepParse.KeyingComponent, SessionKeyingComponent.TryParse(chunk.SessionKeyInitiatorComponent, out _));
    }

    public void OnRIKeying(RIKeyingChunk chunk) =>
        Hit(DeepParse.KeyingComponent, SessionKeyingComponent.TryParse(chunk.SessionKeyResponderComponent, out _));

    public void OnPing(PingChunk chunk)
    {
    }

    public void OnPingReply(PingReplyChunk chunk)
    {
    }

    public void OnUserData(UserDataChunk chunk) => OnMessage(chunk.HasOptions, chunk.Options, chunk.UserData);

    public void OnNextUserData(NextUserDataChunk chunk) => OnMessage(chunk.HasOptions, chunk.Options, chunk.UserData);

    private void OnMessage(bool hasOptions, ReadOnlySpan<byte> options, ReadOnlySpan<byte> message)
    {
        if (hasOptions)
        {
            bool ok = UserDataOptions.TryRead(options, out var parsed);
            Hit(DeepParse.UserDataOptions, ok);
            if (ok && parsed.HasMetadata)
            {
                Hit(DeepParse.FlowMetadata, RtmpMetadata.TryRead(parsed.Metadata, out _));
            }
        }
        if (!RtmpMessage.TryRead(message, out var rtmp))
        {
            Hit(DeepParse.RtmpMessage, false);
            return;
        }
        Hit(DeepParse.RtmpMessage, true);
        switch (rtmp.Type)
        {
            case RtmpMessageType.CommandAmf0:
            case RtmpMessageType.CommandAmf3:
                Hit(DeepParse.Command, Command.TryRead(rtmp, _amf, out _));
                break;
            case RtmpMessageType.DataAmf0:
            case RtmpMessageType.DataAmf3:
                Hit(DeepParse.DataMessage, DataMessage.TryRead(rtmp.Type, rtmp.Payload, _amf, out _));
                break;
            case RtmpMessageType.UserControl:
                Hit(DeepParse.UserControlEvent, UserControlEvent.TryRead(rtmp.Payload, out _));
                break;
            case RtmpMessageType.Audio:
                Hit(DeepParse.AudioTag, AudioTag.TryParse(rtmp.Payload, out _));
                break;
            case RtmpMessageType.Video:
                Hit(DeepParse.VideoTag, VideoTag.TryParse(rtmp.Payload, out _));
                break;
        }
        if (rtmp.TryGetAmfBody(out var body))
        {
            _values.Clear();
            Hit(DeepParse.AmfBody, _amf.TryReadAllAmf0(body, _values));
            int offset = 0;
            _amf.Reset();
            _amf.TryReadAmf3(body, ref offset, out _);
        }
    }

    public void OnDataAckBitmap(DataAckBitmapChunk chunk)
    {
        foreach (var range in chunk.GetRanges())
        {
            Hit(DeepParse.AckRange, range.End >= range.Start);
        }
    }

    public void OnDataAckRanges(DataAckRangesChunk chunk)
    {
        foreach (var range in chunk.GetRanges())
        {
            Hit(DeepParse.AckRange, range.End >= range.Start);
        }
    }

    public void OnBufferProbe(BufferProbeChunk chunk)
    {
    }

    public void OnFlowExceptionReport(FlowExceptionReportChunk chunk)
    {
    }

    public void OnSessionCloseRequest()
    {
    }

    public void OnSessionCloseAcknowledgement()
    {
    }

    public void OnIgnored(Chunk chunk, ChunkIgnoreReason reason)
    {
    }
}
