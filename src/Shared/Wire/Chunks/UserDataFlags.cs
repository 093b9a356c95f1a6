namespace Rtmfp.Shared.Wire;

/// <summary>Flags byte of User Data and Next User Data chunks (RFC 7016 §2.3.11).</summary>
[Flags]
public enum UserDataFlags : byte
{
    None = 0,
    /// <summary>OPT: an option list terminated by a marker precedes the user data.</summary>
    OptionsPresent = 0x80,
    /// <summary>FRA: two bits holding a <see cref="FragmentControl"/> value.</summary>
    FragmentControlMask = 0x30,
    /// <summary>ABN: this sequence number was abandoned; any user data MUST be ignored.</summary>
    Abandon = 0x02,
    /// <summary>FIN: the last sequence number of the flow.</summary>
    Final = 0x01,
}

/// <summary>How a fragment is assembled into a user message (RFC 7016 §2.3.11, FRA field).</summary>
public enum FragmentControl : byte
{
    Whole = 0,
    Begin = 1,
    End = 2,
    Middle = 3,
}

/// <summary>Helpers for <see cref="UserDataFlags"/>, for User Data and Next User Data chunks alike.</summary>
public static class UserDataFlagBits
{
    private const int FragmentShift = 4;

    extension(UserDataFlags flags)
    {
        public bool HasOptions => (flags & UserDataFlags.OptionsPresent) != 0;
        public FragmentControl FragmentControl => GetFragmentControl(flags);
        public bool IsAbandoned => (flags & UserDataFlags.Abandon) != 0;
        public bool IsFinal => (flags & UserDataFlags.Final) != 0;
    }

    /// <summary>OPT set exactly when an option list follows (RFC 7016 §2.3.11).</summary>
    public static UserDataFlags WithOptionsPresent(UserDataFlags flags, bool optionsPresent)
        => optionsPresent ? flags | UserDataFlags.OptionsPresent : flags & ~UserDataFlags.OptionsPresent;

    public static FragmentControl GetFragmentControl(UserDataFlags flags)
        => (FragmentControl)(((byte)flags & (byte)UserDataFlags.FragmentControlMask) >> FragmentShift);

    /// <summary>Composes a flags byte. OPT is set by the chunk from whether options are supplied.</summary>
    public static UserDataFlags Create(FragmentControl fragment, bool abandon = false, bool final = false)
    {
        var flags = (UserDataFlags)(((byte)fragment & 0x03) << FragmentShift);
        if (abandon)
        {
            flags |= UserDataFlags.Abandon;
        }
        if (final)
        {
            flags |= UserDataFlags.Final;
        }
        return flags;
    }
}
