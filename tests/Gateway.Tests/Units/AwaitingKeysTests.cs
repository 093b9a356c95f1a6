using System.Buffers;
using System.Net;
using Rtmfp.Gateway.Transport;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// Datagrams of session IDs whose keys a gateway is fetching (issue 9): the newest two per ID, within bounds on IDs and
/// bytes that no flood of made-up IDs can pass, each kept ten seconds.
/// </summary>
public sealed class AwaitingKeysTests : IAsyncDisposable
{
    private static readonly SocketAddress From = IPEndPoint.Parse("127.0.0.1:40001").Serialize();
    private readonly UdpEndpoint _endpoint = new(new IPEndPoint(IPAddress.Loopback, 0));

    public ValueTask DisposeAsync() => _endpoint.DisposeAsync();

    private static byte[] Datagram(byte marker, int length = 64)
    {
        var d = new byte[length];
        d[^1] = marker;
        return d;
    }

    private static List<byte> Markers(IReadOnlyList<AwaitingKeys.Datagram> taken)
    {
        var markers = new List<byte>();
        foreach (var d in taken)
        {
            markers.Add(d.Buffer[d.Length - 1]);
            ArrayPool<byte>.Shared.Return(d.Buffer);
        }
        return markers;
    }

    [Fact]
    public void The_newest_two_per_session_are_taken_once_oldest_first()
    {
        var awaiting = new AwaitingKeys();
        for (byte i = 1; i <= 3; i++)
        {
            Assert.True(awaiting.TryAdd(7, Datagram(i), From, _endpoint, 1_000 + i));
        }
        Assert.True(awaiting.TryAdd(8, Datagram(9), From, _endpoint, 1_000));
        Assert.Equal(2, awaiting.Sessions);
        Assert.Equal(3 * 64, awaiting.Bytes);

        var taken = awaiting.Take(7, 2_000);
        Assert.Equal(_endpoint, taken[0].Endpoint);
        Assert.Equal(From, taken[0].From);
        Assert.NotSame(From, taken[0].From); // a copy: the receive loop reuses its address
        Assert.Equal([2, 3], Markers(taken));
        Assert.Empty(awaiting.Take(7, 2_000));
        Assert.Equal(64, awaiting.Bytes);
        Assert.Equal([8u], awaiting.SessionIds());
    }

    [Fact]
    public void What_waited_longer_than_its_lifetime_is_not_handed_on_and_a_sweep_frees_it()
    {
        var awaiting = new AwaitingKeys();
        Assert.True(awaiting.TryAdd(7, Datagram(1), From, _endpoint, 0));
        Assert.Empty(awaiting.Take(7, AwaitingKeys.LifetimeMs + 1));
        Assert.Equal(0, awaiting.Bytes);

        Assert.True(awaiting.TryAdd(8, Datagram(2), From, _endpoint, 0));
        Assert.True(awaiting.TryAdd(9, Datagram(3), From, _endpoint, 5_000));
        Assert.Equal(1, awaiting.Sweep(AwaitingKeys.LifetimeMs + 1));
        Assert.Equal([9u], awaiting.SessionIds());
        Assert.Equal(64, awaiting.Bytes);
    }

    [Fact]
    public void A_flood_of_made_up_session_IDs_holds_at_most_the_bounds_and_room_comes_back_as_they_age()
    {
        var awaiting = new AwaitingKeys();
        int kept = 0;
        for (uint id = 1; id <= 5_000; id++)
        {
            kept += awaiting.TryAdd(id, Datagram(1, 1_200), From, _endpoint, 0) ? 1 : 0;
        }
        // 1,024 IDs, or 2 MiB of 1,200-byte datagrams (1,747), whichever comes first.
        Assert.Equal(AwaitingKeys.MaxSessions, kept);
        Assert.Equal(AwaitingKeys.MaxSessions, awaiting.Sessions);
        Assert.True(awaiting.Bytes <= AwaitingKeys.MaxBytes);
        // Byte bound: a second datagram per ID (an ID already waiting takes no new slot) fills the bytes first.
        int seconds = 0;
        for (uint id = 1; id <= AwaitingKeys.MaxSessions; id++)
        {
            seconds += awaiting.TryAdd(id, Datagram(2, 1_200), From, _endpoint, 0) ? 1 : 0;
        }
        Assert.Equal((int)(AwaitingKeys.MaxBytes / 1_200) - AwaitingKeys.MaxSessions, seconds);
        Assert.True(awaiting.Bytes <= AwaitingKeys.MaxBytes, $"{awaiting.Bytes} B");
        Assert.False(awaiting.TryAdd(99_999, Datagram(3), From, _endpoint, 1_000));

        // Ten seconds later the flood has aged out: a real client's datagram is kept (the sweep runs when full).
        Assert.True(awaiting.TryAdd(99_999, Datagram(4), From, _endpoint, AwaitingKeys.LifetimeMs + 1));
        Assert.Equal(1, awaiting.Sessions);
        Assert.Equal([4], Markers(awaiting.Take(99_999, AwaitingKeys.LifetimeMs + 2)));
        Assert.Equal(0, awaiting.Bytes);
    }
}
