using System.Net;
using Rtmfp.Cluster;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// The fan-out's deferral scope (SendDeferral): a sink that flushes inside it keeps its bursts and is flushed once when
/// the outermost scope closes, on the thread that opened it.
/// </summary>
public sealed class SendDeferralTests
{
    /// <summary>Behaves as the gateway's Flush: inside a scope it defers, outside it sends.</summary>
    private sealed class RecordingSink : ILocalPacketSink
    {
        public int Sent { get; private set; }

        public int Kept { get; private set; }

        public void Send(uint sessionId, uint farSessionId, ReadOnlySpan<byte> plainPacket, ulong sequenceNumber, SocketAddress to)
        {
        }

        public void Flush()
        {
            if (SendDeferral.IsOpen)
            {
                Kept++;
                SendDeferral.Defer(this);
                return;
            }
            Sent++;
        }
    }

    [Fact]
    public void Flushes_inside_a_scope_are_sent_once_when_it_closes()
    {
        var a = new RecordingSink();
        var b = new RecordingSink();
        SendDeferral.Open();
        a.Flush();
        b.Flush();
        a.Flush();
        Assert.Equal((0, 2), (a.Sent, a.Kept));
        Assert.Equal((0, 1), (b.Sent, b.Kept));
        SendDeferral.Close();
        Assert.False(SendDeferral.IsOpen);
        Assert.Equal(1, a.Sent); // once, however many players flushed into it
        Assert.Equal(1, b.Sent);

        a.Flush(); // no scope: at once
        Assert.Equal(2, a.Sent);
    }

    [Fact]
    public void Only_the_outermost_scope_sends_and_a_close_too_many_is_harmless()
    {
        var sink = new RecordingSink();
        SendDeferral.Open();
        SendDeferral.Open();
        sink.Flush();
        SendDeferral.Close();
        Assert.Equal(0, sink.Sent);
        SendDeferral.Close();
        Assert.Equal(1, sink.Sent);
        SendDeferral.Close();
        Assert.False(SendDeferral.IsOpen);
        Assert.Equal(1, sink.Sent);
    }

    [Fact]
    public void A_scope_belongs_to_its_thread()
    {
        var sink = new RecordingSink();
        bool openThere = true;
        SendDeferral.Open();
        try
        {
            var other = new Thread(() =>
            {
                openThere = SendDeferral.IsOpen;
                sink.Flush();
            });
            other.Start();
            other.Join();
            Assert.False(openThere);
            Assert.Equal(1, sink.Sent); // the other thread had no scope: it sent at once
        }
        finally
        {
            SendDeferral.Close();
        }
    }
}
