using System.Net;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>An <see cref="ISessionHandler"/> that records everything the session reports.</summary>
public sealed class Recorder : ISessionHandler
{
    public List<RecvFlow> Opened { get; } = new();
    public Dictionary<ulong, List<byte[]>> Messages { get; } = new();
    public List<ulong> Lost { get; } = new();
    public List<ulong> Completed { get; } = new();
    public List<(ulong Flow, ulong Code)> Exceptions { get; } = new();
    public List<SessionState> States { get; } = new();
    public List<SocketAddress> AddressChanges { get; } = new();
    public List<(byte Type, byte[] Payload)> OtherChunks { get; } = new();
    public Action<RecvFlow>? OnOpen { get; set; }
    public Action<RecvFlow, ReadOnlySpan<byte>>? OnMessageReceived { get; set; }

    public void OnFlowOpened(Session session, RecvFlow flow)
    {
        Opened.Add(flow);
        OnOpen?.Invoke(flow);
    }

    public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (!Messages.TryGetValue(flow.FlowId, out var list))
        {
            Messages[flow.FlowId] = list = new List<byte[]>();
        }
        list.Add(message.ToArray());
        OnMessageReceived?.Invoke(flow, message);
    }

    public void OnMessagesLost(Session session, RecvFlow flow) => Lost.Add(flow.FlowId);

    public void OnFlowComplete(Session session, RecvFlow flow) => Completed.Add(flow.FlowId);

    public void OnFlowException(Session session, SendFlow flow, ulong exceptionCode) => Exceptions.Add((flow.FlowId, exceptionCode));

    public void OnStateChanged(Session session, SessionState state) => States.Add(state);

    public void OnAddressChanged(Session session, SocketAddress newAddress) => AddressChanges.Add(newAddress);

    public void OnOtherChunk(Session session, byte chunkType, ReadOnlySpan<byte> payload) => OtherChunks.Add((chunkType, payload.ToArray()));

    public int MessageCount(ulong flowId) => Messages.TryGetValue(flowId, out var l) ? l.Count : 0;
}
