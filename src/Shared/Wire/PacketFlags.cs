namespace Rtmfp.Shared.Wire;

/// <summary>Bits of the plain packet flags byte (RFC 7016 §2.2.4).</summary>
[Flags]
public enum PacketFlags : byte
{
    None = 0,
    /// <summary>TC: the packet carries real-time user data.</summary>
    TimeCritical = 0x80,
    /// <summary>TCR: the sender is receiving time critical packets on other sessions.</summary>
    TimeCriticalReverse = 0x40,
    /// <summary>Two reserved bits.</summary>
    Reserved = 0x30,
    /// <summary>TS: a 16-bit timestamp follows the flags.</summary>
    TimestampPresent = 0x08,
    /// <summary>TSE: a 16-bit timestamp echo follows.</summary>
    TimestampEchoPresent = 0x04,
    /// <summary>MOD: the two low bits hold the <see cref="PacketMode"/>.</summary>
    ModeMask = 0x03,
}
