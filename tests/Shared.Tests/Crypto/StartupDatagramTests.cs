using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Crypto;

public class StartupDatagramTests
{
    [Theory(Timeout = 60_000)]
    [InlineData(0u)]
    [InlineData(0x0300_0001u)]
    public async Task A_startup_datagram_carries_its_session_id_and_opens_under_the_default_key(uint sessionId)
    {
        byte[] plain = StartupPacketWriter.RIKeying(1_000, 42, new byte[130], "X"u8);
        var datagram = new byte[StartupDatagram.MaxLength];
        int length = StartupDatagram.Write(plain, sessionId, datagram);
        // On another thread (another default-key context) as well: the datagrams are the same.
        var other = new byte[StartupDatagram.MaxLength];
        int otherLength = await Task.Run(() => StartupDatagram.Write(plain, sessionId, other), TestContext.Current.CancellationToken);
        Assert.Equal(datagram.AsSpan(0, length).ToArray(), other.AsSpan(0, otherLength).ToArray());

        Assert.True(Multiplex.TryUnscrambleSessionId(datagram.AsSpan(0, length), out uint received));
        Assert.Equal(sessionId, received);
        using var defaultKey = SessionCryptoContext.CreateDefault();
        var output = new byte[length];
        Assert.True(defaultKey.TryDecrypt(datagram.AsSpan(PacketLimits.SessionIdLength, length - PacketLimits.SessionIdLength), output, out int offset, out int plainLength));
        var opened = output.AsSpan(offset, plainLength);
        Assert.Equal(plain, opened[..plain.Length].ToArray());
        Assert.True(opened[plain.Length..].IndexOfAnyExcept((byte)0xFF) < 0); // padding (RFC 7425 §4.7.2)
    }
}
