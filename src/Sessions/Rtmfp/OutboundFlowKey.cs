using Rtmfp.Shared.Flash;
namespace Rtmfp.Sessions.Rtmfp;

/// <summary>Identifies one server sending flow: stream ID, kind and receive intent (RXI, RFC 7425 §5.1.1).</summary>
internal readonly record struct OutboundFlowKey(uint StreamId, StreamFlowKind Kind, bool NetworkArrivalOrder);
