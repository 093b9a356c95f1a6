using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>The session owns sequence numbers and the replay window; gateways only hold cached keys.</summary>
public class SessionOwnedSequenceTests
{
    private static (SessionKeys I, SessionKeys R) Keys()
    {
        var secret = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        byte[] skic = [9, 9, 9], skrc = [7, 7, 7];
        return (SessionKeys.Derive(secret, skic, skrc), SessionKeys.Derive(secret, skrc, skic));
    }

    private static readonly PacketVerificationSettings Strict = new(SendHmacLength: 10, ReceiveHmacLength: 10, SendSequenceNumbers: true, ReceiveSequenceNumbers: true);

    [Fact]
    public void Two_gateways_encrypt_with_session_assigned_numbers_and_the_receiver_accepts_both()
    {
        var (ki, kr) = Keys();
        using var gateway1 = new SessionCryptoContext(kr, Strict);
        using var gateway2 = new SessionCryptoContext(kr, Strict);
        using var client = new SessionCryptoContext(ki, Strict);
        var plain = new byte[] { 0x0a, 1, 2, 0x01, 0x00, 0x00 };
        var buf = new byte[128];
        var outp = new byte[128];
        for (ulong seq = 0; seq < 200; seq++)
        {
            var gw = seq % 2 == 0 ? gateway1 : gateway2;
            int n = gw.Encrypt(plain, buf, seq);
            Assert.Equal(gw.GetEncryptedLength(plain.Length, seq), n);
            Assert.True(client.TryDecrypt(buf.AsSpan(0, n), outp, out int off, out _));
            Assert.Equal(plain, outp.AsSpan(off, plain.Length).ToArray());
        }
        // A gateway's own counter was never advanced: starting over would be a replay.
        int again = gateway1.Encrypt(plain, buf, 4);
        Assert.False(client.TryDecrypt(buf.AsSpan(0, again), outp, out _, out _));
    }

    [Fact]
    public void Unwindowed_decrypt_reports_the_number_and_leaves_replay_to_the_session()
    {
        var (ki, kr) = Keys();
        using var client = new SessionCryptoContext(ki, Strict);
        using var gateway = new SessionCryptoContext(kr, Strict);
        var plain = new byte[] { 0x09, 0, 1 };
        var buf = new byte[128];
        int n = client.Encrypt(plain, buf);
        var outp = new byte[128];
        var window = new AntiReplayWindow();
        for (int i = 0; i < 2; i++)
        {
            Assert.True(gateway.TryDecryptUnwindowed(buf.AsSpan(0, n), outp, out _, out _, out ulong seq));
            Assert.Equal(0UL, seq);
            bool fresh = window.IsAcceptable(seq);
            Assert.Equal(i == 0, fresh);
            window.Accept(seq);
        }
        buf[n - 1] ^= 1; // HMAC still verified
        Assert.False(gateway.TryDecryptUnwindowed(buf.AsSpan(0, n), outp, out _, out _, out _));
    }
}
