using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// The whole datagram path of the Flash profile, zero allocation per packet.
/// Receive (RFC 7016 §2.2.2, RFC 7425 §4.7.3): unscramble the session ID, pick the key(s) (Default
/// Session Key for ID 0, otherwise the caller's <see cref="ISessionKeyLookup"/>), verify and decrypt,
/// parse the header (mode 0 rejected) and run a <see cref="ChunkValidator"/> pass.
/// Send (RFC 7425 §4.7.2): plain packet (a <see cref="PlainPacketBuilder"/> or the engine's own) →
/// checksum/SSEQ, padding, AES-CBC, HMAC → scrambled session ID in front.
/// <para>An instance owns one Default Session Key context and is not thread-safe: one per receive worker.</para>
/// </summary>
public sealed class DatagramCodec : IDisposable
{
    private readonly SessionCryptoContext _defaultContext;

    public DatagramCodec()
    {
        _defaultContext = SessionCryptoContext.CreateDefault();
    }

    /// <summary>The Default Session Key context (checksum mode, no SSEQ: RFC 7425 §4.1), for startup packets this codec sends.</summary>
    public SessionCryptoContext DefaultContext => _defaultContext;

    /// <summary>
    /// Verifies and decrypts one datagram into <paramref name="plainBuffer"/> (at least the datagram's length
    /// minus 4 — size it for <see cref="PacketLimits.MaxDatagramLength"/>: a smaller buffer fails verification —
    /// and not overlapping it, so that a second key can be tried on the intact ciphertext). Never throws on peer input.
    /// </summary>
    public ReceiveStatus TryReceive<TLookup>(ReadOnlySpan<byte> datagram, Span<byte> plainBuffer, TLookup lookup, out ReceivedPacket packet)
        where TLookup : ISessionKeyLookup, allows ref struct
    {
        packet = default;
        if (datagram.Length < PacketLimits.MinFlashDatagramLength)
        {
            return ReceiveStatus.TooShort;
        }
        if (datagram.Overlaps(plainBuffer))
        {
            throw new ArgumentException("the plain buffer must not overlap the datagram", nameof(plainBuffer));
        }
        Multiplex.TryUnscrambleSessionId(datagram, out uint sessionId);
        var encrypted = datagram[PacketLimits.SessionIdLength..];

        SessionCryptoContext? context;
        bool useDefault;
        int offset, length;
        if (sessionId == 0)
        {
            context = _defaultContext;
            useDefault = true;
            if (!_defaultContext.TryDecrypt(encrypted, plainBuffer, out offset, out length))
            {
                return ReceiveStatus.VerificationFailed;
            }
        }
        else
        {
            if (!lookup.TryGetKeys(sessionId, out context, out bool acceptDefault))
            {
                return ReceiveStatus.UnknownSession;
            }
            useDefault = false;
            // Session key first: once keyed, almost everything is under it (and HMAC rejects a default-key packet cheaply).
            if (context is null || !context.TryDecrypt(encrypted, plainBuffer, out offset, out length))
            {
                if (!acceptDefault || !_defaultContext.TryDecrypt(encrypted, plainBuffer, out offset, out length))
                {
                    return context is null && !acceptDefault ? ReceiveStatus.UnknownSession : ReceiveStatus.VerificationFailed;
                }
                context = _defaultContext;
                useDefault = true;
            }
        }

        var plain = plainBuffer.Slice(offset, length);
        if (!PlainPacket.TryRead(plain, out var header, out var chunks))
        {
            return ReceiveStatus.InvalidHeader;
        }
        var summary = ChunkValidator.Validate(header.Mode, chunks);
        packet = new ReceivedPacket(sessionId, context, useDefault, header, plain, offset, summary);
        return ReceiveStatus.Accepted;
    }

    /// <summary>
    /// The span of <paramref name="datagram"/> to build a plain packet in so that <see cref="Seal"/> encrypts it in
    /// place: after the session ID and the checksum/SSEQ prefix, at most <paramref name="maxPlainLength"/> bytes
    /// and never more than still fits with padding and HMAC. Valid until <paramref name="context"/> encrypts
    /// another packet (the SSEQ prefix may grow).
    /// </summary>
    public static Span<byte> GetPlainRegion(Span<byte> datagram, SessionCryptoContext context, int maxPlainLength = PacketLimits.MaxSessionPacketLength)
    {
        var settings = context.Settings;
        int prefix = (settings.SendSequenceNumbers ? Vlu.GetLength(context.NextSendSequenceNumber) : 0) + (settings.SendHmacLength == 0 ? 2 : 0);
        int blocks = (datagram.Length - PacketLimits.SessionIdLength - settings.SendHmacLength) & ~(SessionCryptoContext.BlockSize - 1);
        int fits = Math.Min(blocks - prefix, maxPlainLength);
        if (fits < 1)
        {
            throw new ArgumentException("datagram buffer too small for any packet", nameof(datagram));
        }
        return datagram.Slice(PacketLimits.SessionIdLength + prefix, fits);
    }

    /// <summary>Starts a plain packet in <see cref="GetPlainRegion"/> of <paramref name="datagram"/>.</summary>
    public static PlainPacketBuilder BeginPacket(Span<byte> datagram, SessionCryptoContext context, PacketHeader header,
        int maxPlainLength = PacketLimits.MaxSessionPacketLength) =>
        new(GetPlainRegion(datagram, context, maxPlainLength), header);

    /// <summary>
    /// Encrypts <paramref name="plainPacket"/> (which may lie anywhere inside <paramref name="datagram"/>, ideally at
    /// <see cref="GetPlainRegion"/>) after the 4-byte prefix, then scrambles <paramref name="sessionId"/> (the far
    /// end's receive session ID) into it (RFC 7016 §2.2.2). Returns the datagram length. Throws if it does not fit.
    /// </summary>
    public static int Seal(ReadOnlySpan<byte> plainPacket, SessionCryptoContext context, uint sessionId, Span<byte> datagram)
    {
        if (datagram.Length < PacketLimits.MinFlashDatagramLength)
        {
            throw new ArgumentException("datagram buffer too small", nameof(datagram));
        }
        int encrypted = context.Encrypt(plainPacket, datagram[PacketLimits.SessionIdLength..]);
        int total = PacketLimits.SessionIdLength + encrypted;
        Multiplex.ScrambleSessionId(datagram[..total], sessionId);
        return total;
    }

    /// <summary>Largest datagram <see cref="Seal"/> produces for a plain packet of <paramref name="plainLength"/> bytes.</summary>
    public static int GetDatagramLength(SessionCryptoContext context, int plainLength) =>
        PacketLimits.SessionIdLength + context.GetEncryptedLength(plainLength);

    public void Dispose() => _defaultContext.Dispose();
}
