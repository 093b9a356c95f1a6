using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rtmfp.Gateway.Transport;

/// <summary>
/// Linux UDP generic segmentation offload (UDP_SEGMENT, kernel 4.18+): one sendmsg carries several datagrams
/// for one destination, all <c>segmentSize</c> long but the last, and the kernel (or the NIC) cuts them. The
/// network stack is walked once per batch instead of once per datagram, which is where a fan-out server
/// spends its time (docs/benchmarks.md). Elsewhere, or when the kernel refuses, callers send one by one.
/// </summary>
internal static unsafe partial class UdpSegmentation
{
    /// <summary>The kernel's UDP_MAX_SEGMENTS is 64 (128 on newer kernels).</summary>
    public const int MaxSegments = 64;

    /// <summary>Largest UDP payload of one sendmsg.</summary>
    public const int MaxBatchBytes = 65_000;

    private const int SolUdp = 17;
    private const int UdpSegment = 103;

    public static bool IsPlatformSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>
    /// Kernels before 4.18 ignore the control message and would send one oversized datagram: ask the socket
    /// for the option first (ENOPROTOOPT there).
    /// </summary>
    public static bool IsSupportedBy(Socket socket)
    {
        if (!IsPlatformSupported)
        {
            return false;
        }
        try
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            return socket.GetRawSocketOption(SolUdp, UdpSegment, value) == sizeof(int);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The UDP_SEGMENT control message: struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } and a u16,
    /// padded to CMSG_SPACE(2) = 24 (also one per message of <see cref="MultiSend"/>).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SegmentControl
    {
        public nuint Length;
        public int Level;
        public int Type;
        public ushort SegmentSize;
        private ushort _pad0;
        private uint _pad1;

        public static SegmentControl For(int segmentSize) => new()
        {
            Length = (nuint)(sizeof(nuint) + 2 * sizeof(int) + sizeof(ushort)),
            Level = SolUdp,
            Type = UdpSegment,
            SegmentSize = (ushort)segmentSize,
        };
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(nint fd, MsgHdr* message, int flags);

    /// <summary>
    /// Sends <paramref name="payload"/> as datagrams of <paramref name="segmentSize"/> bytes (the last may be
    /// shorter). Returns 0 on success, else the errno (EIO or EINVAL: this socket or device cannot segment).
    /// </summary>
    public static int Send(Socket socket, ReadOnlySpan<byte> payload, int segmentSize, SocketAddress to)
    {
        bool added = false;
        var handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            var name = to.Buffer.Span;
            fixed (byte* data = payload)
            fixed (byte* address = name)
            {
                var iov = new IoVec { Base = data, Length = (nuint)payload.Length };
                var control = SegmentControl.For(segmentSize);
                var message = new MsgHdr
                {
                    Name = address,
                    NameLength = (uint)to.Size,
                    Iov = &iov,
                    IovLength = 1,
                    Control = &control,
                    ControlLength = (nuint)sizeof(SegmentControl),
                };
                if (SendMsg(handle.DangerousGetHandle(), &message, 0) >= 0)
                {
                    return 0;
                }
                int errno = Marshal.GetLastPInvokeError();
                return errno == 0 ? Errno.Eagain : errno;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
