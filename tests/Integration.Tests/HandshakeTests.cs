using Rtmfp.Cluster;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Integration.Tests;

/// <summary>Handshakes with the node over real UDP, for every DH group and keying mode the node must honour.</summary>
public class HandshakeTests(SharedNode shared) : IClassFixture<SharedNode>
{
    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int group in new[] { 2, 5, 14 })
        {
            foreach (bool strict in new[] { false, true })
            {
                foreach (bool staticKeys in new[] { false, true })
                {
                    data.Add(group, strict, staticKeys);
                }
            }
        }
        return data;
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Cases))]
    public async Task Initiator_gets_the_group_and_verification_it_asked_for(int groupId, bool strict, bool staticKeys)
    {
        var node = shared.Node;
        Assert.True(DiffieHellmanGroup.TryGet((ulong)groupId, out var group));
        var policy = strict ? KeyingPolicy.Strict : KeyingPolicy.Default;
        // rtmfp-cpp puts static keys in its certificate and selects a group in the SKIC; Flash and librtmfp send ephemeral keys.
        using var profile = staticKeys ? FlashCryptoProfile.CreateStatic(policy, [group]) : FlashCryptoProfile.CreateEphemeral(policy, [group]);
        var result = await RawInitiator.HandshakeAsync(node.Endpoint, node.Uri.ToString(), TimeSpan.FromSeconds(15), profile);
        Assert.NotNull(result);
        Assert.Equal(groupId, (int)result!.Keying.Group.Id);
        var v = result.Keying.Verification;
        if (strict)
        {
            Assert.True(v.SendHmacLength > 0 && v.ReceiveHmacLength > 0, $"HMAC not negotiated: {v}");
            Assert.True(v.SendSequenceNumbers && v.ReceiveSequenceNumbers, $"sequence numbers not negotiated: {v}");
        }
        else
        {
            Assert.Equal(PacketVerificationSettings.ChecksumOnly, v);
        }
        // This session, not a count on the shared node (another test's session may close meanwhile): the gateway has its keys.
        await BadInputTests.WaitUntil(() => node.Gateway.Gateway!.Cache.TryGet(result.FarSessionId, out _), TimeSpan.FromSeconds(5));
        Assert.True(node.Gateway.Gateway!.Cache.TryGet(result.FarSessionId, out _));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_IIKeying_from_another_address_gets_a_cookie_change_and_the_session_opens_there()
    {
        // RFC 7016 §3.5.1.2, Figure 10: the cookie was made for the IHello's source, the IIKeying comes from elsewhere.
        var node = shared.Node;
        using var raw = await RawInitiator.ConnectAsync(node.Endpoint, node.Uri.ToString(), TimeSpan.FromSeconds(15), moveBeforeKeying: true);
        Assert.NotNull(raw.Result);
        Assert.Equal(1, raw.CookieChanges);
    }

    /// <summary>
    /// Interop regression (docs/decisions.md, "Crypto and packets"; FlashCryptoProfile.CreateServer): the certificate in
    /// the node's RHello is the 77-byte Flash server certificate listing ephemeral groups 2, 5 and 14, in that order, and
    /// not 16 — so an initiator that prefers the strongest group it shares with us (rtmfp-cpp: 16, 14, 2; our client:
    /// 14, 5, 2) selects 14, and Flash Player and librtmfp find the layout they expect.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task The_node_certificate_lists_groups_2_5_and_14_in_the_77_byte_flash_layout_and_a_full_offer_selects_14()
    {
        var node = shared.Node;
        using var profile = FlashCryptoProfile.CreateEphemeral(); // offers 14, 5, 2
        var result = await RawInitiator.HandshakeAsync(node.Endpoint, node.Uri.ToString(), TimeSpan.FromSeconds(15), profile);
        Assert.NotNull(result);
        var certificate = result!.FarCertificate;
        Assert.Equal(77, certificate.Encoded.Length);
        Assert.Equal("010a410e", Convert.ToHexStringLower(certificate.Encoded[..4])); // accepts ancillary data, 64 random bytes
        Assert.Equal("02150202150502150e", Convert.ToHexStringLower(certificate.Encoded[^9..])); // ephemeral DH: 2, 5, 14
        Assert.False(certificate.IsStatic);
        Assert.Equal([2UL, 5UL, 14UL], certificate.EphemeralGroups);
        Assert.Equal(14UL, result.Keying.Group.Id);
    }
}
