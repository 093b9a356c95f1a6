using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Packets;

namespace Rtmfp.Shared.Tests.Packets;

/// <summary>A session table for tests: session ID → (context or null while keying, accept default key).</summary>
internal sealed class TestKeyTable : ISessionKeyLookup
{
    private readonly Dictionary<uint, (SessionCryptoContext? Context, bool AcceptDefault)> _sessions = [];

    public TestKeyTable Add(uint sessionId, SessionCryptoContext? context, bool acceptDefault = false)
    {
        _sessions[sessionId] = (context, acceptDefault);
        return this;
    }

    public bool TryGetKeys(uint sessionId, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey)
    {
        if (_sessions.TryGetValue(sessionId, out var entry))
        {
            sessionContext = entry.Context;
            acceptDefaultKey = entry.AcceptDefault;
            return true;
        }
        sessionContext = null;
        acceptDefaultKey = false;
        return false;
    }
}

/// <summary>A lookup that knows no session at all (allocation-free).</summary>
internal readonly struct NoSessions : ISessionKeyLookup
{
    public bool TryGetKeys(uint sessionId, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey)
    {
        sessionContext = null;
        acceptDefaultKey = false;
        return false;
    }
}

/// <summary>A lookup with exactly one session (allocation-free).</summary>
internal readonly struct OneSession(uint sessionId, SessionCryptoContext? context, bool acceptDefault) : ISessionKeyLookup
{
    public bool TryGetKeys(uint id, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey)
    {
        bool hit = id == sessionId;
        sessionContext = hit ? context : null;
        acceptDefaultKey = hit && acceptDefault;
        return hit;
    }
}

internal static class SessionPair
{
    /// <summary>Both ends of a session from a seeded fake DH secret: A sends what B receives and vice versa.</summary>
    public static (SessionCryptoContext A, SessionCryptoContext B) Create(int hmacAtoB, int hmacBtoA, bool sseqAtoB, bool sseqBtoA, int seed = 7)
    {
        var random = new Random(seed);
        var secret = new byte[128];
        var skic = new byte[40];
        var skrc = new byte[50];
        random.NextBytes(secret);
        random.NextBytes(skic);
        random.NextBytes(skrc);
        var a = new SessionCryptoContext(SessionKeys.Derive(secret, skic, skrc), new PacketVerificationSettings(hmacAtoB, hmacBtoA, sseqAtoB, sseqBtoA));
        var b = new SessionCryptoContext(SessionKeys.Derive(secret, skrc, skic), new PacketVerificationSettings(hmacBtoA, hmacAtoB, sseqBtoA, sseqAtoB));
        return (a, b);
    }
}
