using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client;

/// <summary>
/// One dedicated thread that owns the sockets, handshakes and engine sessions of its connections: it waits in
/// <see cref="Socket.Select"/> on every socket plus a loopback wake-up socket, with a timeout set by the earliest
/// engine wakeup. Everything else reaches it through <see cref="Post"/>, so engine state is never shared
/// between threads and no lock is held across anything. Many connections can share one loop (load mode).
/// </summary>
internal sealed class RtmfpEventLoop : IDisposable
{
    private const int MaxDatagramsPerSocketPass = 64;
    private const int MaxWaitMs = 1000;

    private readonly Thread _thread;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly Socket _wakeReceiver;
    private readonly Socket _wakeSender;
    private readonly SocketAddress _wakeAddress;
    private readonly byte[] _wakeBuffer = new byte[16];
    private readonly List<Socket> _readList = new();
    private readonly Dictionary<Socket, RtmfpConnection> _owners = new();
    private readonly PriorityQueue<RtmfpConnection, long> _timers = new();
    private readonly List<RtmfpConnection> _dirty = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wakeRequested;
    private volatile bool _stopping;
    private int _connectionCount;

    private readonly bool _kernelTimestamps;

    /// <param name="kernelTimestamps">Take each datagram's arrival from the kernel (<see cref="DatagramArrival"/>) instead of the read.</param>
    public RtmfpEventLoop(string? name = null, bool kernelTimestamps = false)
    {
        _kernelTimestamps = kernelTimestamps;
        _wakeReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _wakeSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _wakeReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _wakeAddress = _wakeReceiver.LocalEndPoint!.Serialize();
        _thread = new Thread(Run) { IsBackground = true, Name = name ?? "rtmfp-loop" };
        _thread.Start();
    }

    /// <summary>Connections currently hosted (approximate when read off the loop).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Completes when the loop thread has exited.</summary>
    public Task Stopped => _stopped.Task;

    internal bool IsLoopThread => Thread.CurrentThread == _thread;

    internal bool IsStopping => _stopping;

    // Per-loop scratch: only touched on the loop thread.
    internal byte[] ReceiveBuffer { get; } = new byte[PacketLimits.MaxDatagramLength];
    internal byte[] PlainBuffer { get; } = new byte[PacketLimits.MaxDatagramLength];
    internal byte[] SendBuffer { get; } = new byte[PacketLimits.MaxDatagramLength + SessionCryptoContext.MaxOverhead];
    internal SessionCryptoContext DefaultContext { get; } = SessionCryptoContext.CreateDefault();

    /// <summary>Runs <paramref name="action"/> on the loop thread, after everything posted before it.</summary>
    public void Post(Action action)
    {
        if (_stopping)
        {
            throw new ObjectDisposedException(nameof(RtmfpEventLoop));
        }
        _commands.Enqueue(action);
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            try
            {
                _wakeSender.SendTo(_wakeBuffer.AsSpan(0, 1), SocketFlags.None, _wakeAddress);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Stops the thread; connections still hosted are abandoned without a close.</summary>
    public void Stop()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        if (!IsLoopThread)
        {
            try
            {
                _wakeSender.SendTo(_wakeBuffer.AsSpan(0, 1), SocketFlags.None, _wakeAddress);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        Stop();
        if (!IsLoopThread)
        {
            _thread.Join();
        }
    }

    internal void Register(Socket socket, RtmfpConnection connection) => _owners[socket] = connection;

    internal void Unregister(Socket socket) => _owners.Remove(socket);

    internal void OnConnectionAdded() => Interlocked.Increment(ref _connectionCount);

    internal void OnConnectionRemoved() => Interlocked.Decrement(ref _connectionCount);

    /// <summary>Asks for <see cref="RtmfpConnection.Pump"/> before the loop next waits.</summary>
    internal void MarkDirty(RtmfpConnection connection)
    {
        if (!connection.IsDirty)
        {
            connection.IsDirty = true;
            _dirty.Add(connection);
        }
    }

    /// <summary>Arms the connection's timer if <paramref name="wakeupMs"/> is earlier than the armed one (later entries fire early, harmlessly).</summary>
    internal void Schedule(RtmfpConnection connection, long wakeupMs)
    {
        if (wakeupMs < connection.ScheduledMs)
        {
            connection.ScheduledMs = wakeupMs;
            _timers.Enqueue(connection, wakeupMs);
        }
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                long now = MonotonicClock.NowMs;
                RunCommands();
                RunTimers(now);
                PumpDirty(now);
                if (_stopping)
                {
                    break;
                }
                Wait(now);
            }
        }
        finally
        {
            foreach (var connection in _owners.Values.Distinct().ToList())
            {
                connection.OnLoopStopped();
            }
            RunCommands(); // posted before the stop: they see torn-down connections and fail their tasks
            foreach (var socket in _owners.Keys)
            {
                socket.Dispose();
            }
            _owners.Clear();
            _wakeReceiver.Dispose();
            _wakeSender.Dispose();
            DefaultContext.Dispose();
            _stopped.TrySetResult();
        }
    }

    private void RunCommands()
    {
        // Bounded: commands posted while running wait for the next pass, so sockets are never starved.
        int count = _commands.Count;
        for (int i = 0; i < count && _commands.TryDequeue(out var action); i++)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A command's own failure (e.g. a caller bug surfacing here) must not kill every connection.
                System.Diagnostics.Debug.WriteLine($"rtmfp loop command failed: {e}");
            }
        }
    }

    private void RunTimers(long now)
    {
        while (_timers.TryPeek(out var connection, out long due) && due <= now)
        {
            _timers.Dequeue();
            if (due != connection.ScheduledMs)
            {
                continue; // superseded by an earlier entry that already fired
            }
            connection.ScheduledMs = long.MaxValue;
            MarkDirty(connection);
        }
    }

    private void PumpDirty(long now)
    {
        for (int i = 0; i < _dirty.Count; i++)
        {
            var connection = _dirty[i];
            connection.IsDirty = false;
            connection.Pump(now);
        }
        _dirty.Clear();
    }

    private void Wait(long now)
    {
        int timeoutMs = MaxWaitMs;
        if (!_commands.IsEmpty || _dirty.Count > 0)
        {
            timeoutMs = 0;
        }
        else if (_timers.TryPeek(out _, out long due))
        {
            timeoutMs = (int)Math.Clamp(due - now, 0, MaxWaitMs);
        }
        _readList.Clear();
        _readList.Add(_wakeReceiver);
        foreach (var socket in _owners.Keys)
        {
            _readList.Add(socket);
        }
        try
        {
            Socket.Select(_readList, null, null, timeoutMs * 1000);
        }
        catch (SocketException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        now = MonotonicClock.NowMs;
        foreach (var socket in _readList)
        {
            if (socket == _wakeReceiver)
            {
                // Drain first, then re-arm: a Post between the two either finds the flag still set
                // (its command is run right after this wait) or sends a new wake-up datagram.
                // The other order loses a wake-up that lands in between, and the loop sleeps until a timer.
                DrainWakeups();
                Volatile.Write(ref _wakeRequested, 0);
            }
            else if (_owners.TryGetValue(socket, out var connection))
            {
                ReceiveFrom(socket, connection, now);
                // What these datagrams asked for (acknowledgements above all, RFC 7016 §3.6.3.4) leaves now, not after
                // every other readable socket was read: a loop hosting many connections would otherwise hold each one's
                // acknowledgement for the whole pass, and its senders' data behind it (§3.5.2.3 lets them send six
                // packets between acknowledgements).
                PumpDirty(now);
            }
        }
    }

    private void DrainWakeups()
    {
        try
        {
            while (_wakeReceiver.Available > 0)
            {
                _wakeReceiver.Receive(_wakeBuffer);
            }
        }
        catch (SocketException)
        {
        }
    }

    private void ReceiveFrom(Socket socket, RtmfpConnection connection, long now)
    {
        var from = connection.ReceiveAddress;
        for (int i = 0; i < MaxDatagramsPerSocketPass; i++)
        {
            int length;
            try
            {
                if (socket.Available == 0)
                {
                    break;
                }
                length = socket.ReceiveFrom(ReceiveBuffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP error report on some platforms: the next datagram is still good
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            long readAt = System.Diagnostics.Stopwatch.GetTimestamp();
            DatagramArrival.Set(_kernelTimestamps ? DatagramArrival.FromKernel(socket, readAt) : readAt);
            connection.OnDatagram(ReceiveBuffer.AsSpan(0, length), from, now);
            DatagramArrival.Set(0); // what completes outside a datagram's handling has no arrival of its own
            if (!ReferenceEquals(connection.Socket, socket))
            {
                break; // the connection closed or moved while handling the datagram
            }
        }
    }
}
