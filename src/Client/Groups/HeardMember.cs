using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Groups;

/// <summary>A member we know of (docs/groups.md §6.4): from the server, from its own session, or from a report.</summary>
internal sealed class HeardMember
{
    public HeardMember(byte[] peerId, long heardAtMs)
    {
        PeerId = peerId;
        PeerIdHex = Convert.ToHexStringLower(peerId);
        Position = RingPosition.OfPeer(peerId);
        LastNewsMs = heardAtMs;
    }

    public byte[] PeerId { get; }

    public string PeerIdHex { get; }

    public RingPosition Position { get; }

    /// <summary>When we last had news of it (its own report, or a report naming it, corrected by the age given).</summary>
    public long LastNewsMs { get; set; }

    /// <summary>The server it is connected to, as reported (origin 3).</summary>
    public Address? Host { get; set; }

    /// <summary>Its addresses as reported or seen; at most <see cref="Shared.Groups.GroupReport.MaxAddresses"/>.</summary>
    public List<Address> Addresses { get; } = [];

    public void AddAddress(Address address)
    {
        if (address.Origin == AddressOrigin.Relay)
        {
            Host = address;
            return;
        }
        foreach (var known in Addresses)
        {
            if (known.EndpointEquals(address))
            {
                return;
            }
        }
        if (Addresses.Count < Shared.Groups.GroupReport.MaxAddresses)
        {
            Addresses.Add(address);
        }
    }
}
