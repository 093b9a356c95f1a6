using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>One member a Group Report tells its receiver about (docs/groups.md §6.3).</summary>
/// <param name="PeerId">32 bytes.</param>
/// <param name="AgeSeconds">How old the sender's latest news of that member is.</param>
/// <param name="Host">The server the member says it is connected to (origin <see cref="AddressOrigin.Relay"/>), if known.</param>
/// <param name="Addresses">Its known addresses (origins local or observed), at most <see cref="GroupReport.MaxAddresses"/>.</param>
public sealed record GroupReportPeer(byte[] PeerId, ulong AgeSeconds, Address? Host, IReadOnlyList<Address> Addresses);

/// <summary>
/// A Group Report (docs/groups.md §6.3), the message members exchange to learn of each other:
/// <code>
/// 0A | L 0D &lt;receiver's address as the sender sees it&gt; | VLU L 0A &lt;sender's host&gt; &lt;sender's addresses&gt; | 00
///    | { 22 21 0F &lt;peer ID&gt; | VLU age | VLU L 0A [host] &lt;addresses&gt; | 00 }*
/// </code>
/// Addresses are RFC 7016 §2.1.5 addresses whose origin says what they are: 3 the member's server, 1 or 2 the member.
/// Reading never throws: a malformed entry ends the list and what came before it is kept (docs/groups.md §6.3).
/// </summary>
public sealed class GroupReport
{
    /// <summary>Addresses kept per member besides its host (what Flash and librtmfp keep).</summary>
    public const int MaxAddresses = 7;

    /// <summary>Members read from one report at most: a best list is 6 ring neighbours + 6 + 1 + log2 N.</summary>
    public const int MaxPeers = 256;

    public GroupReport(Address? receiverAddress, Address? senderHost, IReadOnlyList<Address> senderAddresses, IReadOnlyList<GroupReportPeer> peers)
    {
        ReceiverAddress = receiverAddress;
        SenderHost = senderHost;
        SenderAddresses = senderAddresses;
        Peers = peers;
    }

    /// <summary>Where the receiver's packets come from, as the sender sees them: how a member learns its public address.</summary>
    public Address? ReceiverAddress { get; }

    public Address? SenderHost { get; }

    public IReadOnlyList<Address> SenderAddresses { get; }

    public IReadOnlyList<GroupReportPeer> Peers { get; }

    public byte[] ToMessage()
    {
        int length = 1 + 2 + (ReceiverAddress?.Length ?? Address.IPv4Length)
            + AddressesOptionLength(SenderHost, SenderAddresses) + 1;
        foreach (var peer in Peers)
        {
            length += 1 + 2 + GroupControl.PeerIdLength + Vlu.GetLength(peer.AgeSeconds) + AddressesOptionLength(peer.Host, peer.Addresses) + 1;
        }
        var message = new byte[length];
        var writer = new WireWriter(message);
        writer.WriteByte((byte)GroupMessageType.Report);
        var receiver = (ReceiverAddress ?? Address.FromIPv4(0, 0)).WithOrigin(AddressOrigin.Observed);
        writer.WriteByte((byte)(1 + receiver.Length));
        writer.WriteByte(0x0D);
        receiver.Write(ref writer);
        WriteAddresses(ref writer, SenderHost, SenderAddresses);
        writer.WriteByte(0x00);
        foreach (var peer in Peers)
        {
            writer.WriteByte(0x22); // a 34-byte endpoint discriminator, RFC 7425 §4.4.2
            writer.WriteByte(0x21);
            writer.WriteByte(0x0F);
            writer.WriteBytes(peer.PeerId);
            writer.WriteVlu(peer.AgeSeconds);
            WriteAddresses(ref writer, peer.Host, peer.Addresses);
            writer.WriteByte(0x00);
        }
        return message;
    }

    /// <summary>Reads a report; null when even its head (receiver and sender addresses) is malformed.</summary>
    public static GroupReport? TryRead(ReadOnlySpan<byte> message)
    {
        var reader = new WireReader(message);
        if (!reader.TryReadByte(out byte type) || type != (byte)GroupMessageType.Report)
        {
            return null;
        }
        // Options before the receiver's address: flags (length 1) are skipped, as librtmfp does.
        Address? receiver = null;
        while (receiver is null)
        {
            if (!reader.TryReadVlu(out ulong length) || length == 0 || !reader.TryReadBytes((int)Math.Min(length, int.MaxValue), out var option))
            {
                return null;
            }
            if (option[0] == 0x0D)
            {
                if (!Address.TryRead(option[1..], out var address, out _))
                {
                    return null;
                }
                receiver = address;
            }
        }
        if (!TryReadAddresses(ref reader, out var senderHost, out var senderAddresses))
        {
            return null;
        }
        var peers = new List<GroupReportPeer>();
        while (reader.Remaining > 4 && peers.Count < MaxPeers)
        {
            if (!reader.TryReadByte(out byte marker) || marker != 0x00 || !reader.TryReadByte(out byte epdLength) || epdLength != 0x22
                || !reader.TryReadBytes(0x22, out var epd) || epd[0] != 0x21 || epd[1] != 0x0F
                || !reader.TryReadVlu(out ulong age) || !TryReadAddresses(ref reader, out var host, out var addresses))
            {
                break;
            }
            peers.Add(new GroupReportPeer(epd[2..].ToArray(), age, host, addresses));
        }
        return new GroupReport(receiver, senderHost, senderAddresses, peers);
    }

    private static int AddressesOptionLength(Address? host, IReadOnlyList<Address> addresses)
    {
        int value = 1 + (host?.Length ?? 0);
        for (int i = 0; i < addresses.Count && i < MaxAddresses; i++)
        {
            value += addresses[i].Length;
        }
        return Vlu.GetPrefixedLength(value);
    }

    private static void WriteAddresses(ref WireWriter writer, Address? host, IReadOnlyList<Address> addresses)
    {
        int value = 1 + (host?.Length ?? 0);
        for (int i = 0; i < addresses.Count && i < MaxAddresses; i++)
        {
            value += addresses[i].Length;
        }
        writer.WriteVlu((ulong)value);
        writer.WriteByte(0x0A);
        host?.WithOrigin(AddressOrigin.Relay).Write(ref writer);
        for (int i = 0; i < addresses.Count && i < MaxAddresses; i++)
        {
            var address = addresses[i];
            (address.Origin == AddressOrigin.Relay ? address.WithOrigin(AddressOrigin.Observed) : address).Write(ref writer);
        }
    }

    /// <summary><c>VLU L 0A addresses</c>; a one-byte L above 0x81 (old librtmfp) is read as a byte.</summary>
    private static bool TryReadAddresses(ref WireReader reader, out Address? host, out IReadOnlyList<Address> addresses)
    {
        host = null;
        addresses = [];
        ulong length;
        if (reader.RemainingSpan.Length > 0 && reader.RemainingSpan[0] > 0x81)
        {
            reader.TryReadByte(out byte one);
            length = one;
        }
        else if (!reader.TryReadVlu(out length))
        {
            return false;
        }
        if (length == 0 || !reader.TryReadBytes((int)Math.Min(length, int.MaxValue), out var option) || option[0] != 0x0A)
        {
            return false;
        }
        var list = new List<Address>();
        var rest = option[1..];
        while (!rest.IsEmpty)
        {
            if (!Address.TryRead(rest, out var address, out int consumed))
            {
                return false;
            }
            rest = rest[consumed..];
            if (address.Origin == AddressOrigin.Relay)
            {
                host = address;
            }
            else if (list.Count < MaxAddresses)
            {
                list.Add(address);
            }
        }
        addresses = list;
        return true;
    }
}
