using System.Runtime.InteropServices;

namespace Rtmfp.Gateway.Transport;

// The Linux socket structures sendmsg (UdpSegmentation), sendmmsg (MultiSend) and recvmmsg (UdpReceiveBatch) take,
// x86-64/arm64 layout.

/// <summary>struct iovec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct msghdr.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr (sendmmsg, recvmmsg): a message and the bytes the kernel moved for it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}

/// <summary>Linux errno values the UDP transport tells apart (asm-generic/errno-base.h, errno.h).</summary>
internal static class Errno
{
    public const int Eintr = 4;
    public const int Eio = 5;
    public const int Ebadf = 9;
    public const int Eagain = 11;
    public const int Einval = 22;
    public const int Enosys = 38;
    public const int Enoprotoopt = 92;
    public const int Eopnotsupp = 95;
}
