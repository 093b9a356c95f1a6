using BenchmarkDotNet.Attributes;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Bench;

/// <summary>RFC 7425 §4.2 MODP groups: key pair generation and DH_SECRET computation (OpenSSL BIGNUM underneath).</summary>
[MemoryDiagnoser]
public class DiffieHellmanBenchmarks
{
    private DiffieHellmanKeyPair _near = null!;
    private byte[] _farPublicKey = [];
    private readonly byte[] _secret = new byte[256];

    [Params(2, 5, 14)]
    public int Group { get; set; }

    private DiffieHellmanGroup SelectedGroup => DiffieHellmanGroup.TryGet((ulong)Group, out var g) ? g : throw new InvalidOperationException();

    [GlobalSetup]
    public void Setup()
    {
        _near = DiffieHellmanKeyPair.Generate(SelectedGroup);
        using var far = DiffieHellmanKeyPair.Generate(SelectedGroup);
        _farPublicKey = far.PublicKey.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _near.Dispose();

    [Benchmark(Description = "DH keygen")]
    public int KeyGeneration()
    {
        using var pair = DiffieHellmanKeyPair.Generate(SelectedGroup);
        return pair.PublicKey.Length;
    }

    [Benchmark(Description = "DH shared secret")]
    public int SharedSecret() => _near.TryComputeSharedSecret(_farPublicKey, _secret, out int written) ? written : -1;
}
