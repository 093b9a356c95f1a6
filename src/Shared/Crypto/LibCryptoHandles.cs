using Microsoft.Win32.SafeHandles;

namespace Rtmfp.Shared.Crypto;

/// <summary>An OpenSSL BIGNUM, wiped and freed on release.</summary>
internal sealed class SafeBigNumHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeBigNumHandle() : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibCrypto.BN_clear_free(handle);
        return true;
    }
}

/// <summary>An OpenSSL BN_CTX (scratch space for one operation on one thread).</summary>
internal sealed class SafeBigNumContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeBigNumContextHandle() : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibCrypto.BN_CTX_free(handle);
        return true;
    }
}

/// <summary>An OpenSSL EVP_CIPHER_CTX (holds an expanded AES key).</summary>
internal sealed class SafeCipherContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeCipherContextHandle() : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}
