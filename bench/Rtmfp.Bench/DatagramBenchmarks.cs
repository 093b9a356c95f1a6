using BenchmarkDotNet.Attributes;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Bench;

/// <summary>Verification modes benchmarked: the default key's checksum, and rtmfp-cpp's default HMAC-SHA256/128 + session sequence numbers.</summary>
public enum VerificationMode
{
    Checksum,
    HmacSseq,
}

/// <summary>
/// The datagram path for one 1,200-byte plain data packet (flags, timestamp, echo, one User Data chunk):
/// send = build + seal (checksum/SSEQ, padding, AES-CBC, HMAC, SSID); receive = unscramble, lookup,
/// verify, decrypt, header, chunk validation.
/// </summary>
[MemoryDiagnoser]
public class DatagramBenchmarks
{
    public const int PlainLength = PacketLimits.MaxSessionPacketLength;
    private const uint SessionId = 0x0300_0000;
    private const int Ring = 256;

    private readonly byte[] _data = new byte[2048];
    private readonly byte[] _datagram = new byte[PacketLimits.MaxDatagramLength];
    private readonly byte[] _plain = new byte[PacketLimits.MaxDatagramLength];
    private byte[][] _received = [];
    private int[] _receivedLength = [];
    private int _next;
    private int _dataLength;
    private SessionCryptoContext _sender = null!;
    private SessionCryptoContext _receiver = null!;
    private DatagramCodec _codec = null!;

    [Params(VerificationMode.Checksum, VerificationMode.HmacSseq)]
    public VerificationMode Mode { get; set; }

    private readonly struct Lookup(SessionCryptoContext context) : ISessionKeyLookup
    {
        public bool TryGetKeys(uint sessionId, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey)
        {
            bool hit = sessionId == SessionId;
            sessionContext = hit ? context : null;
            acceptDefaultKey = false;
            return hit;
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_data);
        var secret = new byte[128];
        var skic = new byte[64];
        var skrc = new byte[64];
        random.NextBytes(secret);
        random.NextBytes(skic);
        random.NextBytes(skrc);
        var settings = Mode == VerificationMode.HmacSseq ? new PacketVerificationSettings(16, 16, true, true) : PacketVerificationSettings.ChecksumOnly;
        _sender = new SessionCryptoContext(SessionKeys.Derive(secret, skic, skrc), settings);
        _receiver = new SessionCryptoContext(SessionKeys.Derive(secret, skrc, skic), settings);
        _codec = new DatagramCodec();
        _dataLength = PlainLength - 5 - UserDataChunk.GetOverhead(3, 1000, 1, 0);

        // Distinct datagrams (distinct sequence numbers) the receive benchmark cycles through.
        _received = new byte[Ring][];
        _receivedLength = new int[Ring];
        for (int i = 0; i < Ring; i++)
        {
            _received[i] = new byte[PacketLimits.MaxDatagramLength];
            _receivedLength[i] = Send(_received[i]);
        }
        if (_receivedLength[0] != DatagramCodec.GetDatagramLength(_sender, PlainLength) || !ReceiveOne())
        {
            throw new InvalidOperationException("benchmark packet does not round-trip");
        }
        _receiver.ResetReceiveWindow();
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _codec.Dispose();
    }

    private int Send(Span<byte> datagram)
    {
        var builder = DatagramCodec.BeginPacket(datagram, _sender, new PacketHeader(PacketMode.InitiatorMark, timestamp: 0x1234, timestampEcho: 0x0042));
        var chunk = new UserDataChunk(UserDataFlags.None, 3, 1000, 1, default, _data.AsSpan(0, _dataLength));
        if (!builder.TryAppend(chunk.Length, out var space))
        {
            throw new InvalidOperationException("does not fit");
        }
        var writer = new WireWriter(space);
        UserDataChunk.Write(ref writer, chunk);
        return DatagramCodec.Seal(builder.Written, _sender, SessionId, datagram);
    }

    private bool ReceiveOne()
    {
        int i = _next;
        _next = (i + 1) % Ring;
        if (_next == 0)
        {
            _receiver.ResetReceiveWindow(); // replay the ring: sequence numbers would otherwise be duplicates
        }
        return _codec.TryReceive(_received[i].AsSpan(0, _receivedLength[i]), _plain, new Lookup(_receiver), out var packet) == ReceiveStatus.Accepted
            && packet.Summary.Valid == 1;
    }

    [Benchmark(Description = "send 1200 B (build + seal)")]
    public int SendPath() => Send(_datagram);

    [Benchmark(Description = "receive 1200 B (open + validate)")]
    public bool ReceivePath() => ReceiveOne();
}
