namespace Rtmfp.Shared.Wire;

/// <summary>
/// The known options of a User Data option list (RFC 7016 §2.3.11.1): User's Per-Flow Metadata 0x00 and Return
/// Flow Association 0x0A. Unknown types below 0x2000 make the receiver reject the flow; others are ignored.
/// </summary>
public readonly ref struct UserDataOptions
{
    public const ulong UserMetadataType = 0x00;
    public const ulong ReturnFlowAssociationType = 0x0A;

    /// <summary>Unknown option types at or above this value are ignored rather than rejecting the flow.</summary>
    public const ulong FirstIgnorableType = 0x2000;

    private UserDataOptions(bool hasMetadata, ReadOnlySpan<byte> metadata, bool hasReturn, ulong returnFlowId, bool unrecognized)
    {
        HasMetadata = hasMetadata;
        Metadata = metadata;
        HasReturnFlowAssociation = hasReturn;
        ReturnFlowId = returnFlowId;
        HasUnrecognizedMandatoryOption = unrecognized;
    }

    public bool HasMetadata { get; }

    /// <summary>The user's per-flow metadata (may be empty even when present). First occurrence wins.</summary>
    public ReadOnlySpan<byte> Metadata { get; }

    public bool HasReturnFlowAssociation { get; }

    /// <summary>The receiving flow (opened by the other end) that this flow answers.</summary>
    public ulong ReturnFlowId { get; }

    /// <summary>An unknown option with type &lt; 0x2000 was present: the flow MUST be rejected.</summary>
    public bool HasUnrecognizedMandatoryOption { get; }

    /// <summary>
    /// Interprets a raw option list (as in <see cref="UserDataChunk.Options"/>). False if the list is malformed or
    /// unterminated, a Return Flow Association value is not exactly one VLU, or more than one is present (MUST NOT).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> options, out UserDataOptions result)
    {
        result = default;
        bool hasMetadata = false, hasReturn = false, unrecognized = false;
        ReadOnlySpan<byte> metadata = default;
        ulong returnFlowId = 0;
        var list = new OptionListReader(options);
        while (list.TryReadNext(out var option))
        {
            switch (option.Type)
            {
                case UserMetadataType:
                    if (!hasMetadata)
                    {
                        hasMetadata = true;
                        metadata = option.Value;
                    }
                    break;
                case ReturnFlowAssociationType:
                    if (hasReturn || !Vlu.TryReadExact(option.Value, out returnFlowId))
                    {
                        return false;
                    }
                    hasReturn = true;
                    break;
                default:
                    if (option.Type < FirstIgnorableType)
                    {
                        unrecognized = true;
                    }
                    break;
            }
        }
        if (!list.Completed)
        {
            return false;
        }
        result = new UserDataOptions(hasMetadata, metadata, hasReturn, returnFlowId, unrecognized);
        return true;
    }

    /// <summary>Size of the option list <see cref="Write(ref WireWriter, ReadOnlySpan{byte}, ulong?)"/> produces, marker included.</summary>
    public static int GetLength(ReadOnlySpan<byte> metadata, ulong? returnFlowId)
    {
        int n = OptionCodec.GetLength(UserMetadataType, metadata.Length) + 1;
        if (returnFlowId is ulong id)
        {
            n += OptionCodec.GetVluOptionLength(ReturnFlowAssociationType, id);
        }
        return n;
    }

    /// <summary>Writes metadata, the optional return association, and the marker (the order Flash uses).</summary>
    public static void Write(ref WireWriter writer, scoped ReadOnlySpan<byte> metadata, ulong? returnFlowId)
    {
        OptionCodec.Write(ref writer, UserMetadataType, metadata);
        if (returnFlowId is ulong id)
        {
            OptionCodec.WriteVluOption(ref writer, ReturnFlowAssociationType, id);
        }
        OptionCodec.WriteMarker(ref writer);
    }

    /// <summary>Writes the list at the start of <paramref name="destination"/> and returns its length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> metadata, ulong? returnFlowId)
    {
        var writer = new WireWriter(destination);
        Write(ref writer, metadata, returnFlowId);
        return writer.Position;
    }

    /// <summary>Reads the option list (if OPT is set) as a raw span including its marker.</summary>
    internal static bool TrySplit(scoped ref WireReader reader, UserDataFlags flags, out ReadOnlySpan<byte> options)
    {
        options = default;
        if ((flags & UserDataFlags.OptionsPresent) == 0)
        {
            return true;
        }
        var rest = reader.RemainingSpan;
        var list = new OptionListReader(rest);
        while (list.TryReadNext(out _))
        {
        }
        if (!list.Completed)
        {
            return false;
        }
        return reader.TryReadBytes(list.Consumed, out options);
    }
}
