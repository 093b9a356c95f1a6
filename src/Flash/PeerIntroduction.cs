using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// The two messages of an introduction (RFC 7016 §3.5.1.6; RFC 7425 §5.4.1): a Responder Redirect to the
/// initiator listing the target's addresses, and an FIHello to the target, over its session, naming
/// the initiator's observed address. Writes into caller buffers without allocating.
/// </summary>
public readonly struct PeerIntroduction
{
    internal PeerIntroduction(PeerEntry target, Address initiatorAddress, int maxAddresses)
    {
        Target = target;
        InitiatorAddress = initiatorAddress;
        MaxAddresses = maxAddresses;
    }

    internal PeerEntry Target { get; }
    public Address InitiatorAddress { get; }
    public int MaxAddresses { get; }

    /// <summary>The FIHello's reply address: where the IHello came from (origin Observed).</summary>
    public Address ReplyAddress => InitiatorAddress.WithOrigin(AddressOrigin.Observed);

    /// <summary>
    /// The target's candidate addresses: its observed (public) address, origin Observed, and its
    /// setPeerInfo addresses, origin Local, without duplicates. When both peers share a public IP
    /// (same NAT) the local addresses come first: they are the ones that work.
    /// </summary>
    public int GetRedirectAddresses(Span<Address> destination)
    {
        int limit = Math.Min(destination.Length, MaxAddresses);
        int n = 0;
        var observed = Target.ObservedAddress.UnmapIPv4().WithOrigin(AddressOrigin.Observed);
        bool sameNat = SameHost(observed, InitiatorAddress.UnmapIPv4());
        if (!sameNat && n < limit)
        {
            destination[n++] = observed;
        }
        foreach (var a in Target.ReportedAddresses)
        {
            if (n >= limit)
            {
                break;
            }
            var local = a.UnmapIPv4().WithOrigin(AddressOrigin.Local);
            if (!local.EndpointEquals(observed) && !Contains(destination[..n], local))
            {
                destination[n++] = local;
            }
        }
        if (sameNat && n < limit && !Contains(destination[..n], observed))
        {
            destination[n++] = observed;
        }
        return n;
    }

    /// <summary>Writes the Responder Redirect chunk (0x71) for the initiator, echoing its IHello tag.</summary>
    public void WriteRedirect(ref WireWriter writer, ReadOnlySpan<byte> tagEcho)
    {
        Span<Address> addresses = stackalloc Address[Math.Clamp(MaxAddresses, 1, 32)];
        int n = GetRedirectAddresses(addresses);
        ResponderRedirectChunk.Write(ref writer, tagEcho, addresses[..n]);
    }

    /// <summary>Writes the FIHello chunk (0x0F) for the target: its canonical EPD, the initiator's address, the IHello tag.</summary>
    public void WriteForwardedHello(ref WireWriter writer, ReadOnlySpan<byte> tag)
    {
        Span<byte> fingerprint = stackalloc byte[PeerId.Length];
        Target.Id.CopyTo(fingerprint);
        Span<byte> epd = stackalloc byte[EndpointDiscriminator.CanonicalLength];
        EndpointDiscriminator.WriteCanonical(fingerprint, epd);
        FIHelloChunk.Write(ref writer, new FIHelloChunk(epd, ReplyAddress, tag));
    }

    private static bool SameHost(Address a, Address b)
    {
        if (a.IsIPv6 != b.IsIPv6)
        {
            return false;
        }
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        int n = a.CopyAddressBytes(x);
        b.CopyAddressBytes(y);
        return x[..n].SequenceEqual(y[..n]);
    }

    private static bool Contains(ReadOnlySpan<Address> addresses, Address address)
    {
        foreach (var a in addresses)
        {
            if (a.EndpointEquals(address))
            {
                return true;
            }
        }
        return false;
    }
}
