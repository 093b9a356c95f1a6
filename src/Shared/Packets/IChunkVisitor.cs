using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// Receives the chunks of one plain packet from <see cref="ChunkDispatcher.Visit{TVisitor}"/>, each already
/// parsed by its TryRead. Views point into the caller's packet buffer: copy what outlives the call.
/// Implement it as a struct or ref struct so dispatch is devirtualised and allocation-free.
/// </summary>
internal interface IChunkVisitor
{
    void OnPacketFragment(PacketFragmentChunk chunk);
    void OnIHello(IHelloChunk chunk);
    void OnFIHello(FIHelloChunk chunk);
    void OnRHello(RHelloChunk chunk);
    void OnResponderRedirect(ResponderRedirectChunk chunk);
    void OnRHelloCookieChange(RHelloCookieChangeChunk chunk);
    void OnIIKeying(IIKeyingChunk chunk);
    void OnRIKeying(RIKeyingChunk chunk);
    void OnPing(PingChunk chunk);
    void OnPingReply(PingReplyChunk chunk);
    void OnUserData(UserDataChunk chunk);
    void OnNextUserData(NextUserDataChunk chunk);
    void OnDataAckBitmap(DataAckBitmapChunk chunk);
    void OnDataAckRanges(DataAckRangesChunk chunk);
    void OnBufferProbe(BufferProbeChunk chunk);
    void OnFlowExceptionReport(FlowExceptionReportChunk chunk);
    void OnSessionCloseRequest();
    void OnSessionCloseAcknowledgement();

    /// <summary>A chunk that was not dispatched to a typed method, and why.</summary>
    void OnIgnored(Chunk chunk, ChunkIgnoreReason reason);
}
