using Rtmfp.Engine;

namespace Rtmfp.Sessions.Flows;

/// <summary>
/// The node's test and load application: every message on a flow whose metadata starts with "echo" comes back
/// on a return flow associated with it (RFC 7016 §3.6.2.1 return association).
/// </summary>
internal sealed class EchoService(Session session) : IFlowService
{
    public static ReadOnlySpan<byte> Signature => "echo"u8;

    public bool TryAccept(RecvFlow flow)
    {
        flow.Tag = session.OpenFlow(flow.Metadata, flow);
        return true;
    }

    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (flow.Tag is SendFlow reply)
        {
            // The engine keeps the memory until the message is acknowledged: give it its own copy.
            reply.Write(message.ToArray());
        }
    }

    public void OnFlowComplete(RecvFlow flow)
    {
        if (flow.Tag is SendFlow reply)
        {
            reply.Close();
        }
    }

    public void OnFlowException(SendFlow flow)
    {
    }
}
