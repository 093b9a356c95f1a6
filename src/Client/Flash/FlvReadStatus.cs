namespace Rtmfp.Client.Flash;

/// <summary>What <see cref="FlvReader.TryReadTag"/> found.</summary>
public enum FlvReadStatus
{
    /// <summary>A whole tag and its PreviousTagSize.</summary>
    Tag,

    /// <summary>The file ends cleanly after the last tag's PreviousTagSize.</summary>
    EndOfFile,

    /// <summary>Not an FLV version 1 file, or a DataOffset out of range.</summary>
    BadHeader,

    /// <summary>The file ends inside the header, a tag or a PreviousTagSize.</summary>
    Truncated,

    /// <summary>A tag's DataSize is over the reader's limit.</summary>
    TagTooLarge,

    /// <summary>Reserved TagType bits or the Filter (encryption) bit are set: nothing we can play.</summary>
    BadTag,
}
