using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Bench;

/// <summary>
/// The pieces of the datagram path over one 1,216-byte cipher body, to see where the time goes, and the handshake's
/// key derivation.
/// </summary>
[MemoryDiagnoser]
public class CryptoPartsBenchmarks
{
    private const int Length = 1216;
    private readonly byte[] _input = new byte[Length];
    private readonly byte[] _output = new byte[Length];
    private readonly byte[] _mac = new byte[32];
    private readonly byte[] _key = new byte[32];
    private readonly byte[] _dhSecret = new byte[128];
    private readonly byte[] _sknc = new byte[140];
    private readonly byte[] _skfc = new byte[140];
    private AesCbcCipher _encrypt = null!;
    private AesCbcCipher _decrypt = null!;
    private IncrementalHash _hmac = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_input);
        random.NextBytes(_dhSecret);
        random.NextBytes(_sknc);
        random.NextBytes(_skfc);
        _encrypt = new AesCbcCipher(DefaultSessionKey.Key, encrypt: true);
        _decrypt = new AesCbcCipher(DefaultSessionKey.Key, encrypt: false);
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encrypt.Dispose();
        _decrypt.Dispose();
        _hmac.Dispose();
    }

    [Benchmark(Description = "AES-CBC encrypt")]
    public void Encrypt() => _encrypt.Transform(_input, _output);

    [Benchmark(Description = "AES-CBC decrypt")]
    public void Decrypt() => _decrypt.Transform(_input, _output);

    [Benchmark(Description = "checksum")]
    public ushort Checksum() => InternetChecksum.Compute(_input.AsSpan(2));

    [Benchmark(Description = "HMAC one-shot")]
    public int HmacOneShot() => HMACSHA256.HashData(_key, _input, _mac);

    /// <summary>
    /// A session's keys and nonces from a group-2 DH secret and two keying components of a Flash handshake's sizes
    /// (RFC 7425 §4.6.3-4.6.5): eight HMAC-SHA256, once per handshake.
    /// </summary>
    [Benchmark(Description = "session key derivation")]
    public SessionKeys KeyDerivation() => SessionKeys.Derive(_dhSecret, _sknc, _skfc);

    [Benchmark(Description = "HMAC reused key")]
    public bool HmacIncremental()
    {
        _hmac.AppendData(_input);
        return _hmac.TryGetHashAndReset(_mac, out _);
    }
}
