using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>
/// A one-node Redis Cluster (all 16384 slots on one cluster-enabled redis-server on loopback), started
/// from the redis-server that scripts/test.sh installs, so the cluster key form runs for real.
/// </summary>
public sealed class RedisClusterNode : IAsyncLifetime
{
    private Process? _process;
    private string? _directory;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _ = RedisTestServer.ConnectionString; // same precondition as every Redis test
        _directory = Directory.CreateTempSubdirectory("rtmfp-redis-cluster-").FullName;
        // redis-server cannot listen on port 0 and report its port, and a cluster node needs a TCP port: the port is
        // found free and released before redis-server binds it, so another process may take it meanwhile. redis-server
        // then exits at once, and another port is tried.
        ConnectionMultiplexer? admin = null;
        for (int attempt = 1; admin is null; attempt++)
        {
            int port = FreePort();
            StartServer(port);
            ConnectionString = $"127.0.0.1:{port}";
            admin = await ConnectWhenUpAsync($"{ConnectionString},allowAdmin=true,abortConnect=false");
            if (admin is null && attempt == 5)
            {
                throw new InvalidOperationException("cluster-enabled redis-server exited at start on 5 ports in a row");
            }
        }
        await using (admin)
        {
            var server = admin.GetServer(admin.GetEndPoints()[0]);
            await server.ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", 0, 16383);
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!((string?)await server.ExecuteAsync("CLUSTER", "INFO"))!.Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("one-node Redis Cluster did not reach cluster_state:ok");
                await Task.Delay(100);
            }
        }
    }

    private void StartServer(int port)
    {
        _process?.Dispose();
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_directory!, $"nodes-{port}.conf"),
                     "--save", "", "--appendonly", "no", "--dir", _directory!,
                 })
            start.ArgumentList.Add(arg);
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
    }

    /// <summary>A connection once the server answers; null if redis-server exited first (its port was taken).</summary>
    private async Task<ConnectionMultiplexer?> ConnectWhenUpAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(connectionString);
        while (!multiplexer.IsConnected || _process!.HasExited)
        {
            if (_process!.HasExited)
            {
                await multiplexer.DisposeAsync();
                return null;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("cluster-enabled redis-server did not come up");
            await Task.Delay(50);
        }
        return multiplexer;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        if (_directory is not null)
            Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
