using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// A validation pass over a plain packet: every known chunk through its TryRead, plus the nested
/// allocation-free structures a handler would parse next (EPDs RFC 7425 §4.4, SKIC/SKRC §4.5, User Data
/// options RFC 7016 §2.3.11.1, acknowledgement ranges §2.3.13-14). Certificates are not parsed here
/// (FlashCertificate allocates): the keying step checks them.
/// </summary>
internal struct ChunkValidator : IChunkVisitor
{
    private int _valid;
    private int _malformed;
    private int _unknown;
    private int _wrongMode;

    public readonly ChunkSummary Summary => new(_valid, _malformed, _unknown, _wrongMode);

    /// <summary>Validates the chunks of a plain packet whose header has already been read.</summary>
    public static ChunkSummary Validate(PacketMode mode, ChunkReader chunks)
    {
        var validator = new ChunkValidator();
        ChunkDispatcher.Visit(mode, chunks, ref validator);
        return validator.Summary;
    }

    private void Count(bool valid)
    {
        if (valid)
        {
            _valid++;
        }
        else
        {
            _malformed++;
        }
    }

    public void OnPacketFragment(PacketFragmentChunk chunk) => Count(true);

    public void OnIHello(IHelloChunk chunk) => Count(EndpointDiscriminator.TryParse(chunk.EndpointDiscriminator, out _));

    public void OnFIHello(FIHelloChunk chunk) => Count(EndpointDiscriminator.TryParse(chunk.EndpointDiscriminator, out _));

    public void OnRHello(RHelloChunk chunk) => Count(true);

    public void OnResponderRedirect(ResponderRedirectChunk chunk) => Count(true); // TryRead checked every address

    public void OnRHelloCookieChange(RHelloCookieChangeChunk chunk) => Count(true);

    public void OnIIKeying(IIKeyingChunk chunk) =>
        Count(SessionKeyingComponent.TryParse(chunk.SessionKeyInitiatorComponent, out _));

    public void OnRIKeying(RIKeyingChunk chunk) =>
        Count(SessionKeyingComponent.TryParse(chunk.SessionKeyResponderComponent, out _));

    public void OnPing(PingChunk chunk) => Count(true);

    public void OnPingReply(PingReplyChunk chunk) => Count(true);

    public void OnUserData(UserDataChunk chunk) => Count(!chunk.HasOptions || UserDataOptions.TryRead(chunk.Options, out _));

    public void OnNextUserData(NextUserDataChunk chunk) => Count(!chunk.HasOptions || UserDataOptions.TryRead(chunk.Options, out _));

    public void OnDataAckBitmap(DataAckBitmapChunk chunk)
    {
        foreach (var _ in chunk.GetRanges())
        {
        }
        Count(true);
    }

    public void OnDataAckRanges(DataAckRangesChunk chunk)
    {
        foreach (var _ in chunk.GetRanges())
        {
        }
        Count(true);
    }

    public void OnBufferProbe(BufferProbeChunk chunk) => Count(true);

    public void OnFlowExceptionReport(FlowExceptionReportChunk chunk) => Count(true);

    public void OnSessionCloseRequest() => Count(true);

    public void OnSessionCloseAcknowledgement() => Count(true);

    public void OnIgnored(Chunk chunk, ChunkIgnoreReason reason)
    {
        switch (reason)
        {
            case ChunkIgnoreReason.Unknown:
                _unknown++;
                break;
            case ChunkIgnoreReason.WrongMode:
                _wrongMode++;
                break;
            default:
                _malformed++;
                break;
        }
    }
}
