using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rtmfp.Client;

/// <summary>
/// When the datagram an event loop is handling reached its socket, as a <see cref="Stopwatch"/> timestamp, for the
/// messages it completes (<see cref="RtmfpIncomingFlow.ArrivedMessages"/>). A load tool that hosts many players on one
/// CPU (bench/fanout.sh) reads its datagrams later than they arrive when a burst queues behind the others; with the
/// kernel's receive time it measures the server's delay apart from its own.
/// </summary>
internal static partial class DatagramArrival
{
    // SIOCGSTAMP (linux/sockios.h, the "old" number: struct timeval of two longs on 64-bit Linux): the receive time of
    // the last datagram read from the socket. The first call switches the socket's timestamps on and may find none.
    private const nuint SiocGStamp = 0x8906;

    [ThreadStatic]
    private static long t_current;

    /// <summary>The arrival of the datagram the calling event loop is handling (0 off a loop).</summary>
    public static long Current => t_current;

    internal static void Set(long timestamp) => t_current = timestamp;

    /// <summary>
    /// The kernel's receive time of the datagram just read from <paramref name="socket"/>, converted to a Stopwatch
    /// timestamp; <paramref name="readAt"/> (when it was read) where the kernel has none or this is not Linux.
    /// </summary>
    public static long FromKernel(Socket socket, long readAt)
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8 || Ioctl(socket.Handle, SiocGStamp, out var tv) != 0)
        {
            return readAt;
        }
        // Both clocks read now: how long ago the kernel stamped it (CLOCK_REALTIME), moved onto the monotonic clock.
        long stampedUs = (tv.Seconds * 1_000_000) + tv.Microseconds;
        long nowUs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        long agoUs = Math.Clamp(nowUs - stampedUs, 0, 10_000_000);
        return Math.Min(readAt, Stopwatch.GetTimestamp() - (agoUs * Stopwatch.Frequency / 1_000_000));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timeval
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(nint fd, nuint request, out Timeval value);
}
