using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rtmfp.Gateway.Transport;

/// <summary>
/// Linux <c>recvmmsg</c>: every datagram already queued on the socket (up to <see cref="Capacity"/>) in one system
/// call, blocking until the first. One receive loop iteration then holds several datagrams, so the gateway can hand
/// a session all of its packets as one message (issue 9: cross-node traffic batched), and a busy socket costs one
/// system call per batch instead of one per datagram. Buffers are pinned once; nothing is allocated per call.
/// </summary>
internal sealed unsafe partial class UdpReceiveBatch
{
    /// <summary>Datagrams per call: enough to drain a burst, small enough to keep a batch's latency negligible.</summary>
    public const int Capacity = 32;

    private const int NameCapacity = 128; // sizeof(struct sockaddr_storage)
    private const int MsgWaitForOne = 0x10000;
    private const int MsgTrunc = 0x20;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsg(nint fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    private readonly byte[] _data = GC.AllocateArray<byte>(Capacity * UdpEndpoint.MaxDatagram, pinned: true);
    private readonly byte[] _names = GC.AllocateArray<byte>(Capacity * NameCapacity, pinned: true);
    private readonly IoVec[] _iov = GC.AllocateArray<IoVec>(Capacity, pinned: true);
    private readonly MMsgHdr[] _headers = GC.AllocateArray<MMsgHdr>(Capacity, pinned: true);
    private readonly SocketAddress[] _from = new SocketAddress[Capacity];

    public UdpReceiveBatch(AddressFamily family)
    {
        var data = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0);
        var names = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_names, 0);
        var iov = (IoVec*)Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0);
        for (int i = 0; i < Capacity; i++)
        {
            _iov[i] = new IoVec { Base = data + i * UdpEndpoint.MaxDatagram, Length = UdpEndpoint.MaxDatagram };
            _headers[i].Header.Name = names + i * NameCapacity;
            _headers[i].Header.Iov = iov + i;
            _headers[i].Header.IovLength = 1;
            _from[i] = new SocketAddress(family);
        }
    }

    public static bool IsPlatformSupported => UdpSegmentation.IsPlatformSupported;

    /// <summary>Waits for at least one datagram and takes all that are queued. The count, or -1 with <paramref name="errno"/>.</summary>
    public int Receive(Socket socket, out int errno)
    {
        for (int i = 0; i < Capacity; i++)
        {
            ref var header = ref _headers[i];
            header.Header.NameLength = NameCapacity;
            header.Header.Flags = 0;
            header.Length = 0;
        }
        bool added = false;
        var handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            int n;
            fixed (MMsgHdr* headers = _headers)
            {
                n = RecvMmsg(handle.DangerousGetHandle(), headers, Capacity, MsgWaitForOne, null);
            }
            if (n < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return -1;
            }
            for (int i = 0; i < n; i++)
            {
                var from = _from[i];
                int length = Math.Min((int)_headers[i].Header.NameLength, from.Buffer.Length);
                _names.AsSpan(i * NameCapacity, length).CopyTo(from.Buffer.Span);
                from.Size = length;
            }
            errno = 0;
            return n;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The datagram was larger than <see cref="UdpEndpoint.MaxDatagram"/> and was cut: it is dropped.</summary>
    public bool Truncated(int index) => (_headers[index].Header.Flags & MsgTrunc) != 0;

    public ReadOnlySpan<byte> Datagram(int index) =>
        _data.AsSpan(index * UdpEndpoint.MaxDatagram, (int)Math.Min(_headers[index].Length, (uint)UdpEndpoint.MaxDatagram));

    public SocketAddress From(int index) => _from[index];
}
