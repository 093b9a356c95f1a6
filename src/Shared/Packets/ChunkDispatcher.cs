using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// Walks the chunks of a plain packet, parses each known chunk with its TryRead and hands it to a visitor
/// (RFC 7016 §2.3). Unknown types, chunks not allowed in the packet's mode and malformed chunks go to
/// <see cref="IChunkVisitor.OnIgnored"/>. Never throws on peer input; allocation-free.
/// </summary>
internal static class ChunkDispatcher
{
    public static void Visit<TVisitor>(PacketMode mode, ChunkReader chunks, ref TVisitor visitor)
        where TVisitor : IChunkVisitor, allows ref struct
    {
        foreach (var chunk in chunks)
        {
            if (!ChunkTypes.IsKnown(chunk.Type))
            {
                visitor.OnIgnored(chunk, ChunkIgnoreReason.Unknown);
                continue;
            }
            if (!ChunkTypes.IsAllowedInMode(chunk.Type, mode))
            {
                visitor.OnIgnored(chunk, ChunkIgnoreReason.WrongMode);
                continue;
            }
            if (!Dispatch(chunk, ref visitor))
            {
                visitor.OnIgnored(chunk, ChunkIgnoreReason.Malformed);
            }
        }
    }

    /// <summary>Packet Fragment and the startup chunks (RFC 7016 §2.3.1–§2.3.8); the session chunks go on to <see cref="DispatchSession"/>.</summary>
    private static bool Dispatch<TVisitor>(Chunk chunk, ref TVisitor visitor)
        where TVisitor : IChunkVisitor, allows ref struct
    {
        var p = chunk.Payload;
        switch (chunk.Type)
        {
            case ChunkType.PacketFragment:
                if (!PacketFragmentChunk.TryRead(p, out var fragment)) return false;
                visitor.OnPacketFragment(fragment);
                return true;
            case ChunkType.IHello:
                if (!IHelloChunk.TryRead(p, out var ihello)) return false;
                visitor.OnIHello(ihello);
                return true;
            case ChunkType.FIHello:
                if (!FIHelloChunk.TryRead(p, out var fihello)) return false;
                visitor.OnFIHello(fihello);
                return true;
            case ChunkType.RHello:
                if (!RHelloChunk.TryRead(p, out var rhello)) return false;
                visitor.OnRHello(rhello);
                return true;
            case ChunkType.ResponderRedirect:
                if (!ResponderRedirectChunk.TryRead(p, out var redirect)) return false;
                visitor.OnResponderRedirect(redirect);
                return true;
            case ChunkType.RHelloCookieChange:
                if (!RHelloCookieChangeChunk.TryRead(p, out var cookieChange)) return false;
                visitor.OnRHelloCookieChange(cookieChange);
                return true;
            case ChunkType.IIKeying:
                if (!IIKeyingChunk.TryRead(p, out var iikeying)) return false;
                visitor.OnIIKeying(iikeying);
                return true;
            case ChunkType.RIKeying:
                if (!RIKeyingChunk.TryRead(p, out var rikeying)) return false;
                visitor.OnRIKeying(rikeying);
                return true;
            default:
                return DispatchSession(chunk, ref visitor);
        }
    }

    /// <summary>The chunks of an open session (RFC 7016 §2.3.9–§2.3.18).</summary>
    private static bool DispatchSession<TVisitor>(Chunk chunk, ref TVisitor visitor)
        where TVisitor : IChunkVisitor, allows ref struct
    {
        var p = chunk.Payload;
        switch (chunk.Type)
        {
            case ChunkType.Ping:
                if (!PingChunk.TryRead(p, out var ping)) return false;
                visitor.OnPing(ping);
                return true;
            case ChunkType.PingReply:
                if (!PingReplyChunk.TryRead(p, out var pingReply)) return false;
                visitor.OnPingReply(pingReply);
                return true;
            case ChunkType.UserData:
                if (!UserDataChunk.TryRead(p, out var userData)) return false;
                visitor.OnUserData(userData);
                return true;
            case ChunkType.NextUserData:
                if (!NextUserDataChunk.TryRead(p, out var nextUserData)) return false;
                visitor.OnNextUserData(nextUserData);
                return true;
            case ChunkType.DataAcknowledgementBitmap:
                if (!DataAckBitmapChunk.TryRead(p, out var bitmap)) return false;
                visitor.OnDataAckBitmap(bitmap);
                return true;
            case ChunkType.DataAcknowledgementRanges:
                if (!DataAckRangesChunk.TryRead(p, out var ranges)) return false;
                visitor.OnDataAckRanges(ranges);
                return true;
            case ChunkType.BufferProbe:
                if (!BufferProbeChunk.TryRead(p, out var probe)) return false;
                visitor.OnBufferProbe(probe);
                return true;
            case ChunkType.FlowExceptionReport:
                if (!FlowExceptionReportChunk.TryRead(p, out var report)) return false;
                visitor.OnFlowExceptionReport(report);
                return true;
            case ChunkType.SessionCloseRequest:
                if (!SessionCloseRequestChunk.TryRead(p, out _)) return false;
                visitor.OnSessionCloseRequest();
                return true;
            case ChunkType.SessionCloseAcknowledgement:
                if (!SessionCloseAcknowledgementChunk.TryRead(p, out _)) return false;
                visitor.OnSessionCloseAcknowledgement();
                return true;
            default:
                return false;
        }
    }
}
