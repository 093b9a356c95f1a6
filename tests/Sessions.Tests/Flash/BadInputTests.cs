using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Flash;

public class BadInputTests
{
    private static (FlashTestClient Client, uint StreamId, StreamRelay Relay) ConnectedPublisher()
    {
        var relay = new StreamRelay();
        var client = new FlashTestClient(relay);
        client.Connect();
        uint id = client.CreateStream();
        client.Publish(id, "cam");
        client.Output.Clear();
        return (client, id, relay);
    }

    [Fact]
    public void Malformed_AMF_is_ignored_and_counted()
    {
        var (client, id, _) = ConnectedPublisher();
        byte[][] bad =
        [
            [0x14, 0, 0, 0, 0, 0x02, 0x00, 0x10, (byte)'c'],                // command name longer than the payload
            [0x14, 0, 0, 0, 0, 0x00, 0x3F, 0xF0],                           // a number where the name goes
            [0x14, 0, 0, 0, 0, 0x02, 0x00, 0x01, (byte)'x', 0x02, 0x00],    // name then a truncated transaction ID
            [0x11, 0, 0, 0, 0, 0x01, 0x02, 0x00, 0x01, (byte)'x'],          // AMF3 envelope with format byte 1
            [0x14, 0, 0],                                                    // shorter than the message header
            [0x04, 0, 0, 0, 0, 0x00],                                        // user control without its event data
            [0x12, 0, 0, 0, 0, 0x02, 0x00, 0x05, (byte)'o', 0x0E],         // data: unsupported marker
        ];
        foreach (var message in bad)
        {
            client.Send(0, message);
            client.Send(id, message);
        }
        Assert.Empty(client.Output.Messages);
        Assert.Equal(2 * bad.Length - 1, client.Connection.Counters.MalformedMessages); // the data message on stream 0 is merely ignored

        // Still fully working afterwards.
        Assert.Equal(2u, client.CreateStream());
    }

    [Fact]
    public void Command_with_undecodable_arguments_keeps_what_was_read_and_counts_it()
    {
        var (client, _, _) = ConnectedPublisher();
        var good = FlashTestClient.CommandMessage("nosuch", 4, AmfNull.Instance);
        byte[] truncated = [.. good, 0x02, 0x00, 0x09, (byte)'a'];
        client.Send(0, truncated);
        Assert.Equal(1, client.Connection.Counters.MalformedMessages);
        var reply = client.Output.Messages.Single().AsCommand()!;
        Assert.Equal(("_error", 4.0), (reply.Name, reply.TransactionId));
    }

    [Fact]
    public void Chunk_stream_control_and_unknown_types_are_ignored()
    {
        var (client, id, _) = ConnectedPublisher();
        foreach (byte type in new byte[] { 1, 2, 3, 5, 6, 16, 19, 22, 99 })
        {
            client.Send(0, FlashTestClient.Media((RtmpMessageType)type, 0, 0, 0, 0, 1));
            client.Send(id, FlashTestClient.Media((RtmpMessageType)type, 0, 0, 0, 0, 1));
        }
        Assert.Empty(client.Output.Messages);
        Assert.Equal(18, client.Connection.Counters.IgnoredMessages);
        Assert.Equal(0, client.Connection.Counters.MalformedMessages);
    }

    [Fact]
    public void Unknown_stream_commands_are_answered_only_when_a_transaction_ID_asks_for_it()
    {
        var (client, id, _) = ConnectedPublisher();
        client.Send(id, FlashTestClient.CommandMessage("frobnicate", 0, AmfNull.Instance));
        client.Send(id, FlashTestClient.CommandMessage("frobnicate", 3, AmfNull.Instance));
        var reply = client.Output.OnStream(id).Single();
        Assert.Equal(StatusCode.CallFailed, reply.StatusCode);
        Assert.Equal(2, client.Connection.Counters.UnknownCommands);
    }

    [Fact]
    public void Publish_without_a_name_or_with_an_empty_one_is_BadName()
    {
        var relay = new StreamRelay();
        var client = new FlashTestClient(relay);
        client.Connect();
        uint id = client.CreateStream();
        client.Send(id, FlashTestClient.CommandMessage("publish", 0, AmfNull.Instance));
        client.Send(id, FlashTestClient.CommandMessage("publish", 0, AmfNull.Instance, "?x=1"));
        Assert.Equal([StatusCode.PublishBadName, StatusCode.PublishBadName], client.Output.StatusCodes(id));
        Assert.Equal(0, relay.Count);
    }

    [Fact]
    public void Seeded_random_mutations_of_valid_messages_never_throw()
    {
        var random = new Random(7016);
        var (publisher, pid, relay) = ConnectedPublisher();
        var player = new FlashTestClient(relay);
        player.Connect();
        uint sid = player.CreateStream();
        player.Play(sid, "cam");

        byte[][] seeds =
        [
            FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject()),
            FlashTestClient.CommandMessage("createStream", 2, AmfNull.Instance),
            FlashTestClient.CommandMessage("deleteStream", 0, AmfNull.Instance, 1.0),
            FlashTestClient.CommandMessage("setPeerInfo", 0, AmfNull.Instance, "192.0.2.1:1935", "[::1]:5"),
            FlashTestClient.CommandMessage("publish", 0, AmfNull.Instance, "cam", "live"),
            FlashTestClient.CommandMessage("play", 0, AmfNull.Instance, "cam", -2000.0, -1.0, true),
            FlashTestClient.CommandMessage("receiveVideo", 0, AmfNull.Instance, false),
            FlashTestClient.CommandMessage("pause", 0, AmfNull.Instance, true, 10.0),
            FlashTestClient.CommandMessage("_result", 1, AmfNull.Instance, new AmfObject { ["a"] = 1.0 }),
            FlashTestClient.Data(0, DataMessage.SetDataFrame, "onMetaData", AmfArray.Ecma(new KeyValuePair<string, AmfValue>("w", 1.0))),
            FlashTestClient.Media(RtmpMessageType.Video, 0, StreamTests.AvcConfig),
            FlashTestClient.Media(RtmpMessageType.Video, 0, StreamTests.VideoFrame(true, 1)),
            FlashTestClient.Media(RtmpMessageType.Audio, 0, StreamTests.AacConfig),
            FlashTestClient.Media(RtmpMessageType.Video, 0, 0x90, 0x68, 0x76, 0x63, 0x31, 1, 2),
            FlashTestClient.Media(RtmpMessageType.UserControl, 0, 0, 0x22, 0, 0, 0, 1, 0, 0, 0, 2),
        ];
        for (int i = 0; i < 5000; i++)
        {
            var message = (byte[])seeds[random.Next(seeds.Length)].Clone();
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                switch (random.Next(3))
                {
                    case 0:
                        message[random.Next(message.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        message = message[..random.Next(message.Length + 1)];
                        break;
                    default:
                        message = [.. message, .. Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256))];
                        break;
                }
                if (message.Length == 0)
                {
                    break;
                }
            }
            var target = random.Next(2) == 0 ? publisher : player;
            uint stream = (uint)random.Next(3) switch { 0 => 0u, 1 => target == publisher ? pid : sid, _ => (uint)random.Next(1, 400) };
            target.Send(stream, message);
        }
        Assert.True(publisher.Connection.Counters.MalformedMessages + player.Connection.Counters.MalformedMessages > 0);
        Assert.True(publisher.Connection.StreamIds.Count <= 256);
    }
}
