using System.Net;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Wire;

public class SocketAddressesTests
{
    [Fact]
    public void Copy_is_equal_and_independent_of_the_source_buffer()
    {
        var source = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 1935).Serialize();
        var copy = SocketAddresses.Copy(source);
        Assert.NotSame(source, copy);
        Assert.Equal(source, copy);

        // The receive loop reuses its address for the next datagram: the copy must not follow.
        new IPEndPoint(IPAddress.Parse("127.0.0.1"), 2000).Serialize().Buffer.Span.CopyTo(source.Buffer.Span);
        Assert.NotEqual(source, copy);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 1935), new IPEndPoint(IPAddress.Any, 0).Create(copy));
    }

    [Fact]
    public void Copy_keeps_family_and_size_of_IPv6()
    {
        var source = new IPEndPoint(IPAddress.IPv6Loopback, 1935).Serialize();
        var copy = SocketAddresses.Copy(source);
        Assert.Equal(source.Family, copy.Family);
        Assert.Equal(source.Size, copy.Size);
        Assert.Equal(source, copy);
    }
}
