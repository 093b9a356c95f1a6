using Rtmfp.Cluster;
using Rtmfp.Engine;

namespace Rtmfp.Sessions;

/// <summary>
/// The node's test and demo application until the Flash layer replaces it: every message on a
/// flow whose metadata starts with "echo" comes back on a return flow associated with it
/// (RFC 7016 §3.6.2.1 return association).
/// </summary>
public static class EchoService
{
    public static ReadOnlySpan<byte> Signature => "echo"u8;

    public static bool Accepts(RecvFlow flow) => flow.Metadata.Span.StartsWith(Signature);

    public static void OnFlowOpened(Session session, RecvFlow flow)
    {
        flow.Tag = session.OpenFlow(flow.Metadata, flow);
    }

    public static void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (flow.Tag is SendFlow reply)
        {
            // The engine keeps the memory until the message is acknowledged: give it its own copy.
            reply.Write(message.ToArray());
        }
    }

    public static void OnFlowComplete(RecvFlow flow)
    {
        if (flow.Tag is SendFlow reply)
        {
            reply.Close();
        }
    }
}
