using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>
/// A Session Key Initiator/Responder Component (SKIC/SKRC, RFC 7425 §4.5): a sequence of options.
/// A non-allocating view over the component bytes. Note 0x1D is DH Group Select here but Static DH
/// Public Key in a certificate.
/// </summary>
public readonly ref struct SessionKeyingComponent
{
    // RFC 7425 §4.5.2 option types.
    public const ulong OptionEphemeralPublicKey = 0x0D;
    public const ulong OptionExtraRandomness = 0x0E;
    public const ulong OptionGroupSelect = 0x1D;
    public const ulong OptionHmacNegotiation = 0x1A;
    public const ulong OptionSequenceNumberNegotiation = 0x1E;

    public bool HasEphemeralPublicKey { get; private init; }

    /// <summary>Group of the Ephemeral DH Public Key option (0x0D).</summary>
    public ulong EphemeralGroupId { get; private init; }

    /// <summary>The ephemeral public key, unsigned big-endian (leading zero bytes may be absent).</summary>
    public ReadOnlySpan<byte> EphemeralPublicKey { get; private init; }

    public bool HasGroupSelect { get; private init; }
    public ulong SelectedGroupId { get; private init; }

    public bool HasExtraRandomness { get; private init; }
    public ReadOnlySpan<byte> ExtraRandomness { get; private init; }

    public bool HasHmacNegotiation { get; private init; }

    /// <summary>HMAC flags; <see cref="NegotiationFlags.None"/> when the option is absent.</summary>
    public NegotiationFlags HmacFlags { get; private init; }

    /// <summary>The HMAC length the sender will send (RFC 7425 §4.5.2.4); 0 if absent.</summary>
    public ulong HmacLength { get; private init; }

    public bool HasSequenceNumberNegotiation { get; private init; }

    /// <summary>Session sequence number flags; <see cref="NegotiationFlags.None"/> when the option is absent.</summary>
    public NegotiationFlags SequenceNumberFlags { get; private init; }

    /// <summary>
    /// Parses a keying component. Fails on malformed options or option values, a repeated 0x0D,
    /// 0x1D, 0x1A or 0x1E option, or both 0x0D and 0x1D (RFC 7425 §4.5.2.1, §4.5.2.3). Unknown types
    /// are ignored (§4.5.2). Reserved flag bits are kept but ignored by the negotiation.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out SessionKeyingComponent component)
    {
        component = default;
        var reader = new WireReader(encoded);
        bool hasKey = false, hasSelect = false, hasRandom = false, hasHmac = false, hasSseq = false;
        ulong keyGroup = 0, selectGroup = 0, hmacLength = 0;
        ReadOnlySpan<byte> key = default, random = default;
        NegotiationFlags hmacFlags = NegotiationFlags.None, sseqFlags = NegotiationFlags.None;
        while (!reader.IsEmpty)
        {
            if (!OptionCodec.TryRead(ref reader, out Option option))
            {
                return false;
            }
            if (option.IsMarker)
            {
                continue;
            }
            ReadOnlySpan<byte> value = option.Value;
            switch (option.Type)
            {
                case OptionEphemeralPublicKey:
                    if (hasKey || !Vlu.TryRead(value, out keyGroup, out int groupLength) || groupLength == value.Length)
                    {
                        return false;
                    }
                    hasKey = true;
                    key = value[groupLength..];
                    break;
                case OptionGroupSelect:
                    if (hasSelect || !Vlu.TryReadExact(value, out selectGroup))
                    {
                        return false;
                    }
                    hasSelect = true;
                    break;
                case OptionExtraRandomness:
                    hasRandom = true;
                    random = value;
                    break;
                case OptionHmacNegotiation:
                    if (hasHmac || value.IsEmpty || !Vlu.TryReadExact(value[1..], out hmacLength))
                    {
                        return false;
                    }
                    hasHmac = true;
                    hmacFlags = (NegotiationFlags)value[0];
                    break;
                case OptionSequenceNumberNegotiation:
                    if (hasSseq || value.Length != 1)
                    {
                        return false;
                    }
                    hasSseq = true;
                    sseqFlags = (NegotiationFlags)value[0];
                    break;
            }
        }
        if (hasKey && hasSelect)
        {
            return false;
        }
        component = new SessionKeyingComponent
        {
            HasEphemeralPublicKey = hasKey,
            EphemeralGroupId = keyGroup,
            EphemeralPublicKey = key,
            HasGroupSelect = hasSelect,
            SelectedGroupId = selectGroup,
            HasExtraRandomness = hasRandom,
            ExtraRandomness = random,
            HasHmacNegotiation = hasHmac,
            HmacFlags = hmacFlags,
            HmacLength = hmacLength,
            HasSequenceNumberNegotiation = hasSseq,
            SequenceNumberFlags = sseqFlags,
        };
        return true;
    }

    /// <summary>
    /// Builds a keying component in the option order Flash-compatible peers use. Initiator
    /// (<paramref name="negotiationFirst"/> false): [0x1D group select | 0x0D key], [0x0E], 0x1A, 0x1E —
    /// librtmfp's SKIC layout. Responder (true): 0x1A, 0x1E, then [0x0D key | 0x0E] — the exact prefix
    /// <c>03 1A 00 00 02 1E 00</c> librtmfp requires from a server when nothing is negotiated.
    /// </summary>
    public static byte[] Build(
        bool negotiationFirst,
        ulong? groupSelect,
        DiffieHellmanKeyPair? ephemeralKey,
        ReadOnlySpan<byte> extraRandomness,
        NegotiationFlags hmacFlags,
        int hmacLength,
        NegotiationFlags sequenceNumberFlags)
    {
        int length = OptionCodec.GetLength(OptionHmacNegotiation, 1 + Vlu.GetLength((ulong)hmacLength))
            + OptionCodec.GetLength(OptionSequenceNumberNegotiation, 1);
        if (groupSelect is ulong g)
        {
            length += OptionCodec.GetVluOptionLength(OptionGroupSelect, g);
        }
        if (ephemeralKey is not null)
        {
            length += KeyingOptionWriter.GetGroupAndKeyLength(OptionEphemeralPublicKey, ephemeralKey.Group.Id, ephemeralKey.PublicKey.Length);
        }
        if (!extraRandomness.IsEmpty)
        {
            length += OptionCodec.GetLength(OptionExtraRandomness, extraRandomness.Length);
        }
        var result = new byte[length];
        var writer = new WireWriter(result);
        if (negotiationFirst)
        {
            WriteNegotiation(ref writer, hmacFlags, hmacLength, sequenceNumberFlags);
        }
        if (groupSelect is ulong group)
        {
            OptionCodec.WriteVluOption(ref writer, OptionGroupSelect, group);
        }
        if (ephemeralKey is not null)
        {
            KeyingOptionWriter.WriteGroupAndKey(ref writer, OptionEphemeralPublicKey, ephemeralKey.Group.Id, ephemeralKey.PublicKey);
        }
        if (!extraRandomness.IsEmpty)
        {
            OptionCodec.Write(ref writer, OptionExtraRandomness, extraRandomness);
        }
        if (!negotiationFirst)
        {
            WriteNegotiation(ref writer, hmacFlags, hmacLength, sequenceNumberFlags);
        }
        return result;
    }

    private static void WriteNegotiation(ref WireWriter writer, NegotiationFlags hmacFlags, int hmacLength, NegotiationFlags sequenceNumberFlags)
    {
        writer.WriteVlu((ulong)(Vlu.GetLength(OptionHmacNegotiation) + 1 + Vlu.GetLength((ulong)hmacLength)));
        writer.WriteVlu(OptionHmacNegotiation);
        writer.WriteByte((byte)hmacFlags);
        writer.WriteVlu((ulong)hmacLength);
        writer.WriteVlu((ulong)(Vlu.GetLength(OptionSequenceNumberNegotiation) + 1));
        writer.WriteVlu(OptionSequenceNumberNegotiation);
        writer.WriteByte((byte)sequenceNumberFlags);
    }
}
