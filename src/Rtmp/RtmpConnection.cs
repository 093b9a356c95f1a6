using System.Buffers;
using Rtmfp.Flash;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp;

/// <summary>Where an <see cref="RtmpConnection"/> is in its life.</summary>
internal enum RtmpConnectionPhase : byte
{
    /// <summary>Waiting for C0 and C1.</summary>
    AwaitingClientHello,
    /// <summary>S0, S1, S2 sent; waiting for C2.</summary>
    AwaitingAcknowledgement,
    /// <summary>Chunk streams both ways; the NetConnection runs.</summary>
    Open,
    /// <summary>Closed or closing: input is ignored, output dropped.</summary>
    Closed,
}

/// <summary>
/// One RTMP connection as plain code (RTMP specification §5): the handshake, the inbound chunk stream and the
/// protocol control messages it answers itself (acknowledgements, ping), and a <see cref="NetConnection"/> on top,
/// driven through <see cref="IFlashConnectionOutput"/> exactly as an RTMFP session drives it. Outgoing messages are
/// chunked onto chunk streams by kind: 2 for protocol control and User Control (message stream 0), 3 for NetConnection
/// commands, 5 for stream commands and data, 6 audio, 7 video. RTMFP-only User Control events (Flow Sync, Set
/// Keepalive Timers, RFC 7425 §5.2, §5.3.4) are not sent. The host feeds bytes to <see cref="Process"/>, calls
/// <see cref="OnTick"/> for timeouts and <see cref="OnDrained"/> when the send queue ran low, and flushes with
/// <see cref="Flush"/> after each call. Single-threaded.
/// </summary>
internal sealed class RtmpConnection : IFlashConnectionOutput
{
    private const int ProtocolControlChunkStream = RtmpControl.ChunkStreamId;
    private const int CommandChunkStream = 3;
    private const int StreamChunkStream = 5;
    private const int AudioChunkStream = 6;
    private const int VideoChunkStream = 7;

    private readonly RtmpRoleOptions _options;
    private readonly IRtmpTransport _transport;
    private readonly Func<IFlashConnectionOutput, NetConnection> _connectionFactory;
    private readonly RtmpMetrics? _metrics;
    private readonly RtmpChunkReader _reader;
    private readonly RtmpChunkWriter _writer = new();
    private readonly byte[] _control = new byte[16];
    private readonly long _deadlineMs;
    private long _received;
    private long _lastAcknowledged;
    private uint _acknowledgementWindow;
    private long _lastReceivedMs;
    private bool _pingOutstanding;
    private bool _blocked;
    private long _unflushed;

    public RtmpConnection(RtmpRoleOptions options, IRtmpTransport transport, Func<IFlashConnectionOutput, NetConnection> connectionFactory,
        long nowMs, RtmpMetrics? metrics)
    {
        _options = options;
        _transport = transport;
        _connectionFactory = connectionFactory;
        _metrics = metrics;
        _reader = new RtmpChunkReader(options.ChunkLimits);
        _deadlineMs = nowMs + (long)options.HandshakeTimeout.TotalMilliseconds;
        _lastReceivedMs = nowMs;
    }

    public RtmpConnectionPhase Phase { get; private set; }

    /// <summary>Why the connection closed (null while open).</summary>
    public RtmpCloseReason? CloseReason { get; private set; }

    public NetConnection? Connection { get; private set; }

    public RtmpHandshakeKind HandshakeKind { get; private set; }

    /// <summary>Bytes received, handshake included (the acknowledgement sequence number, RTMP §5.4.3).</summary>
    public long BytesReceived => _received;

    /// <summary>
    /// Consumes what it can of <paramref name="input"/>: whole handshake packets and whole chunks. Returns the bytes
    /// consumed; the rest is offered again with more bytes appended.
    /// </summary>
    public long Process(ReadOnlySequence<byte> input, long nowMs)
    {
        long position = 0;
        while (Phase != RtmpConnectionPhase.Closed)
        {
            var rest = input.Slice(position);
            long used = Phase switch
            {
                RtmpConnectionPhase.AwaitingClientHello => ReadClientHello(rest),
                RtmpConnectionPhase.AwaitingAcknowledgement => ReadAcknowledgement(rest),
                _ => ReadChunk(rest),
            };
            if (used <= 0)
            {
                break;
            }
            position += used;
        }
        if (position > 0)
        {
            _received += position;
            _lastReceivedMs = nowMs;
            _pingOutstanding = false;
            _metrics?.BytesIn.Add(position);
            Acknowledge();
        }
        return position;
    }

    /// <summary>The peer closed its side (end of stream): the NetConnection ends as RFC 7425 §5.3.6 orders it.</summary>
    public void OnPeerClosed()
    {
        if (Phase == RtmpConnectionPhase.Closed)
        {
            return;
        }
        Connection?.OnPeerClosed(abrupt: false);
        Shut(RtmpCloseReason.Normal, afterFlush: true);
    }

    /// <summary>A socket error: nothing more can be sent.</summary>
    public void OnTransportFailed() => Fail(RtmpCloseReason.TransportError);

    /// <summary>Timeouts: handshake and connect, idle (pinging at half of it), and a send queue that makes no progress.</summary>
    public void OnTick(long nowMs)
    {
        if (Phase == RtmpConnectionPhase.Closed)
        {
            return;
        }
        if (Connection?.State != NetConnectionState.Connected && nowMs >= _deadlineMs)
        {
            Fail(RtmpCloseReason.HandshakeTimeout);
            return;
        }
        long idleMs = (long)_options.IdleTimeout.TotalMilliseconds;
        if (nowMs - _lastReceivedMs >= idleMs)
        {
            Fail(RtmpCloseReason.IdleTimeout);
            return;
        }
        if (_transport.QueuedBytes > 0 && nowMs - _transport.LastSendProgressMs >= (long)_options.SendStallTimeout.TotalMilliseconds)
        {
            Fail(RtmpCloseReason.SendStalled);
            return;
        }
        if (Phase == RtmpConnectionPhase.Open && !_pingOutstanding && nowMs - _lastReceivedMs >= idleMs / 2)
        {
            // RTMP §7.1.7: a ping the client answers with a Ping Response, which counts as traffic.
            _pingOutstanding = true;
            WriteUserControl(UserControlEvent.PingRequest((uint)nowMs));
        }
    }

    /// <summary>The send queue ran low again: media the NetStreams held back may go.</summary>
    public void OnDrained()
    {
        if (_blocked && Phase == RtmpConnectionPhase.Open)
        {
            _blocked = false;
            Connection?.OnOutputReady();
        }
    }

    /// <summary>Hands what was written since the last call to the transport.</summary>
    public void Flush()
    {
        if (_unflushed > 0)
        {
            _unflushed = 0;
            _transport.Flush();
        }
    }

    // ---------------------------------------------------------------- IFlashConnectionOutput

    public bool Send(uint streamId, ReadOnlyMemory<byte> rtmpMessage, MessageClass messageClass, DeliveryHints hints)
    {
        if (Phase != RtmpConnectionPhase.Open || !RtmpMessage.TryRead(rtmpMessage.Span, out var message))
        {
            return true; // closing: nothing more goes out
        }
        int chunkStream;
        if (message.Type == RtmpMessageType.UserControl)
        {
            if (!UserControlEvent.TryRead(message.Payload, out var ev) || ev.EventType is UserControlEventType.FlowSync or UserControlEventType.SetKeepaliveTimers)
            {
                return true; // RTMFP only (RFC 7425 §5.2, §5.3.4); RTMP keeps its connection alive with pings
            }
            // RTMP §6.2: User Control messages go on message stream 0, chunk stream 2, and name their stream inside.
            streamId = 0;
            chunkStream = ProtocolControlChunkStream;
        }
        else if (RtmpMessage.IsChunkStreamControlType(message.Type))
        {
            return true; // this connection speaks the chunk stream's control messages itself
        }
        else
        {
            chunkStream = streamId == 0 ? CommandChunkStream : messageClass switch
            {
                MessageClass.Audio => AudioChunkStream,
                MessageClass.Video => VideoChunkStream,
                _ => StreamChunkStream,
            };
        }
        long queued = _transport.QueuedBytes + _unflushed;
        if (messageClass is MessageClass.Audio or MessageClass.Video or MessageClass.Data && queued >= _options.SendHighWaterBytes)
        {
            _blocked = true;
            _transport.RequestDrainSignal(_options.SendHighWaterBytes / 2);
            return false;
        }
        if (queued >= _options.SendQueueLimitBytes)
        {
            Fail(RtmpCloseReason.SendQueueOverflow);
            return true;
        }
        Write(chunkStream, streamId, message.Type, message.Timestamp, message.Payload);
        return true;
    }

    /// <summary>One ordered byte stream: a barrier needs nothing.</summary>
    public void Synchronize(uint streamId)
    {
    }

    /// <summary>Chunk streams are shared by all message streams: nothing to close.</summary>
    public void CloseStream(uint streamId)
    {
    }

    public void Close(ConnectionCloseKind kind)
    {
        if (kind == ConnectionCloseKind.Orderly)
        {
            Shut(RtmpCloseReason.Normal, afterFlush: true);
        }
        else
        {
            Shut(RtmpCloseReason.Normal, afterFlush: false);
        }
    }

    // ---------------------------------------------------------------- input

    private long ReadClientHello(ReadOnlySequence<byte> input)
    {
        if (input.Length < RtmpHandshake.ClientHelloSize)
        {
            return 0;
        }
        var hello = ArrayPool<byte>.Shared.Rent(RtmpHandshake.ClientHelloSize);
        try
        {
            input.Slice(0, RtmpHandshake.ClientHelloSize).CopyTo(hello);
            var c0c1 = hello.AsSpan(0, RtmpHandshake.ClientHelloSize);
            if (RtmpHandshake.TryReadClientHello(c0c1, out var kind, out int digestOffset) != RtmpHandshakeError.None)
            {
                Fail(RtmpCloseReason.HandshakeRefused);
                return 0;
            }
            HandshakeKind = kind;
            var answer = _transport.Output.GetSpan(RtmpHandshake.ServerHelloSize);
            RtmpHandshake.WriteServerHello(c0c1, kind, digestOffset, (uint)Environment.TickCount64, answer);
            _transport.Output.Advance(RtmpHandshake.ServerHelloSize);
            MarkWritten(RtmpHandshake.ServerHelloSize);
            Phase = RtmpConnectionPhase.AwaitingAcknowledgement;
            return RtmpHandshake.ClientHelloSize;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(hello);
        }
    }

    // C2 echoes S1; clients differ in what they put there, so it is read and not checked (as most servers do).
    private long ReadAcknowledgement(ReadOnlySequence<byte> input)
    {
        if (input.Length < RtmpHandshake.PacketSize)
        {
            return 0;
        }
        Phase = RtmpConnectionPhase.Open;
        // RTMP §5.4: our acknowledgement window, the peer's bandwidth, and our chunk size, before anything else.
        WriteControl(RtmpMessageType.WindowAcknowledgementSize, RtmpControl.WriteValue(_control, (uint)_options.AcknowledgementWindow));
        WriteControl(RtmpMessageType.SetPeerBandwidth, RtmpControl.WritePeerBandwidth(_control, (uint)_options.AcknowledgementWindow, PeerBandwidthLimit.Dynamic));
        WriteControl(RtmpMessageType.SetChunkSize, RtmpControl.WriteValue(_control, (uint)_options.OutgoingChunkSize));
        _writer.ChunkSize = _options.OutgoingChunkSize;
        Connection = _connectionFactory(this);
        return RtmpHandshake.PacketSize;
    }

    private long ReadChunk(ReadOnlySequence<byte> input)
    {
        switch (_reader.TryRead(input, out int consumed, out var message))
        {
            case RtmpReadStatus.NeedMore:
                return 0;
            case RtmpReadStatus.Error:
                Fail(RtmpCloseReason.ProtocolError);
                return 0;
            case RtmpReadStatus.Message:
                try
                {
                    OnMessage(message);
                }
                finally
                {
                    message.Release();
                }
                break;
        }
        return consumed;
    }

    private void OnMessage(in RtmpInboundMessage message)
    {
        switch (message.Type)
        {
            case RtmpMessageType.SetChunkSize:
            case RtmpMessageType.Abort:
            case RtmpMessageType.Acknowledgement:
            case RtmpMessageType.SetPeerBandwidth:
                return; // the reader applied the first two; we do not pace our output by the peer's acknowledgements
            case RtmpMessageType.WindowAcknowledgementSize:
                // RTMP §5.4.4: the peer wants an Acknowledgement each time this many bytes arrived.
                if (RtmpControl.TryReadValue(message.Payload, out uint window))
                {
                    _acknowledgementWindow = window;
                }
                return;
            case RtmpMessageType.UserControl:
                if (UserControlEvent.TryRead(message.Payload, out var ev) && ev.EventType == UserControlEventType.PingRequest)
                {
                    WriteUserControl(UserControlEvent.PingResponse(ev.PingTimestamp));
                    return;
                }
                Connection?.OnMessage(0, message.Message); // Set Buffer Length names its stream (RFC 7425 §5.3.4 layer)
                return;
            default:
                Connection?.OnMessage(message.StreamId, message.Message);
                return;
        }
    }

    private void Acknowledge()
    {
        if (_acknowledgementWindow != 0 && Phase == RtmpConnectionPhase.Open && _received - _lastAcknowledged >= _acknowledgementWindow)
        {
            _lastAcknowledged = _received;
            // RTMP §5.4.3: the sequence number is the byte count so far, modulo 2^32.
            WriteControl(RtmpMessageType.Acknowledgement, RtmpControl.WriteValue(_control, (uint)_received));
        }
    }

    // ---------------------------------------------------------------- output

    private void WriteControl(RtmpMessageType type, int length) =>
        Write(ProtocolControlChunkStream, 0, type, 0, _control.AsSpan(0, length));

    private void WriteUserControl(UserControlEvent ev) =>
        Write(ProtocolControlChunkStream, 0, RtmpMessageType.UserControl, 0, _control.AsSpan(0, ev.Write(_control)));

    private void Write(int chunkStream, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        if (Phase != RtmpConnectionPhase.Open)
        {
            return;
        }
        int before = _writer.MaxEncodedLength(payload.Length);
        var span = _transport.Output.GetSpan(before);
        int written = _writer.Write(span, chunkStream, streamId, type, timestamp, payload);
        _transport.Output.Advance(written);
        MarkWritten(written);
    }

    private void MarkWritten(int bytes)
    {
        _unflushed += bytes;
        _metrics?.BytesOut.Add(bytes);
    }

    private void Fail(RtmpCloseReason reason)
    {
        if (Phase == RtmpConnectionPhase.Closed)
        {
            return;
        }
        Connection?.OnPeerClosed(abrupt: true);
        Shut(reason, afterFlush: false);
    }

    private void Shut(RtmpCloseReason reason, bool afterFlush)
    {
        if (Phase == RtmpConnectionPhase.Closed)
        {
            return;
        }
        Phase = RtmpConnectionPhase.Closed;
        CloseReason = reason;
        _reader.Reset();
        Flush();
        _transport.Close(afterFlush);
    }
}
