using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rtmfp.Gateway.Transport;

/// <summary>
/// One burst of datagrams for one destination inside a <see cref="DatagramBatch"/>'s buffer: <see cref="Count"/>
/// datagrams laid end to end from <see cref="Offset"/>, each <see cref="SegmentSize"/> long but the last.
/// </summary>
internal struct DatagramBurst
{
    public UdpEndpoint Endpoint;
    public Rtmfp.Shared.Telemetry.RtmfpMetrics Metrics;
    public System.Net.SocketAddress Address;
    public int Offset;
    public int Bytes;
    public int SegmentSize;
    public int Count;
    public bool Ended;
}

/// <summary>
/// Linux <c>sendmmsg</c>: the bursts of several destinations in one system call, each burst one message (segmented
/// with UDP_SEGMENT when it holds more than one datagram, <see cref="UdpSegmentation"/>). The fan-out loop sends a
/// frame to every idle player of the node and then closes its deferral scope (Rtmfp.Cluster.SendDeferral): one system
/// call per <see cref="MaxMessages"/> players instead of one per player (issue 12: as few system calls as measurement
/// shows to be best; docs/benchmarks.md, "One system call for many players").
/// </summary>
internal static unsafe partial class MultiSend
{
    /// <summary>Messages per call (the kernel takes up to UIO_MAXIOV = 1024; the batch holds no more).</summary>
    public const int MaxMessages = 64;

    /// <summary>Room for a sockaddr_in6 (28 bytes), the largest address a UDP endpoint sends to.</summary>
    private const int NameBytes = 32;

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMmsg(nint fd, MMsgHdr* messages, uint count, int flags);

    public static bool IsPlatformSupported => UdpSegmentation.IsPlatformSupported;

    /// <summary>
    /// Sends <paramref name="bursts"/> (at most <see cref="MaxMessages"/>, all for <paramref name="socket"/>) from
    /// <paramref name="buffer"/>. Returns how many went (the first ones, in order); when that is fewer than all, the next
    /// one failed with <paramref name="errno"/> (EAGAIN when the kernel stopped without saying why).
    /// </summary>
    public static int Send(Socket socket, ReadOnlySpan<byte> buffer, ReadOnlySpan<DatagramBurst> bursts, out int errno)
    {
        errno = 0;
        int count = Math.Min(bursts.Length, MaxMessages);
        if (count == 0)
        {
            return 0;
        }
        MMsgHdr* messages = stackalloc MMsgHdr[count];
        IoVec* iovs = stackalloc IoVec[count];
        UdpSegmentation.SegmentControl* controls = stackalloc UdpSegmentation.SegmentControl[count];
        byte* names = stackalloc byte[count * NameBytes];
        bool added = false;
        var handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* data = buffer)
            {
                for (int i = 0; i < count; i++)
                {
                    ref readonly var burst = ref bursts[i];
                    var name = burst.Address.Buffer.Span[..burst.Address.Size];
                    name.CopyTo(new Span<byte>(names + i * NameBytes, NameBytes));
                    iovs[i] = new IoVec { Base = data + burst.Offset, Length = (nuint)burst.Bytes };
                    messages[i] = new MMsgHdr
                    {
                        Header = new MsgHdr
                        {
                            Name = names + i * NameBytes,
                            NameLength = (uint)name.Length,
                            Iov = iovs + i,
                            IovLength = 1,
                        },
                    };
                    if (burst.Count > 1)
                    {
                        controls[i] = UdpSegmentation.SegmentControl.For(burst.SegmentSize);
                        messages[i].Header.Control = controls + i;
                        messages[i].Header.ControlLength = (nuint)sizeof(UdpSegmentation.SegmentControl);
                    }
                }
                int sent = SendMmsg(handle.DangerousGetHandle(), messages, (uint)count, 0);
                if (sent >= 0)
                {
                    errno = sent < count ? Errno.Eagain : 0;
                    return sent;
                }
                int error = Marshal.GetLastPInvokeError();
                errno = error == 0 ? Errno.Eagain : error;
                return 0;
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
