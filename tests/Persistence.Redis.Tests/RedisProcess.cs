using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// A redis-server of a test's own on a free loopback port (the binary scripts/test.sh installs), for
/// tests that kill and restart Redis or need a cluster: the shared server of RTMFP_TEST_REDIS must stay up.
/// A restart reuses the port and the directory, so with AOF on it reloads what was acknowledged.
/// </summary>
public sealed class RedisProcess : IDisposable
{
    private readonly string[] _arguments;
    private Process? _process;

    private RedisProcess(int port, string directory, string[] arguments)
    {
        Port = port;
        Directory = directory;
        _arguments = arguments;
    }

    public int Port { get; }

    public string Directory { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server and waits until it answers PING. <paramref name="durable"/>: AOF with an fsync per
    /// write, so a SIGKILL loses nothing Redis acknowledged (what a deployment must configure too).
    /// </summary>
    public static RedisProcess Start(bool durable = false, params string[] extra)
    {
        _ = RedisTestServer.ConnectionString; // same precondition as every Redis test: run ./scripts/test.sh
        var port = FreePort();
        var directory = System.IO.Directory.CreateTempSubdirectory("rtmfp-redis-").FullName;
        var arguments = new List<string>
        {
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--dir", directory, "--save", "",
            "--appendonly", durable ? "yes" : "no",
        };
        if (durable) arguments.AddRange(["--appendfsync", "always"]);
        arguments.AddRange(extra);
        var redis = new RedisProcess(port, directory, arguments.ToArray());
        redis.Restart();
        return redis;
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>(Re)starts the server on the same port and directory and waits until it answers PING.</summary>
    public void Restart()
    {
        if (IsRunning) throw new InvalidOperationException("redis-server is already running");
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _arguments) start.ArgumentList.Add(argument);
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server not on PATH: run ./scripts/test.sh (it installs redis-server)", e);
        }
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitForPong(TimeSpan.FromSeconds(15));
    }

    /// <summary>SIGKILL: no shutdown save, connections cut as by a crash.</summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Polls PING over a raw socket until +PONG (not -LOADING while the AOF is read back).</summary>
    private void WaitForPong(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var buffer = new byte[64];
        while (true)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} (port {Port} taken?)");
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, Port);
                socket.Send("PING\r\n"u8);
                socket.ReceiveTimeout = 1000;
                var n = socket.Receive(buffer);
                if (Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal)) return;
            }
            catch (SocketException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on port {Port} did not answer PING");
            Thread.Sleep(20);
        }
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
