using System.Runtime.InteropServices;

namespace Rtmfp.Gateway.Transport;

// The Linux socket structures sendmsg (UdpSegmentation) and recvmmsg (UdpReceiveBatch) take, x86-64/arm64 layout.

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
