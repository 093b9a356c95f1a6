using Microsoft.Extensions.Hosting;
using Rtmfp.Gateway;
using Rtmfp.Node;

try
{
    using var host = NodeHost.Build(args);
    await host.RunAsync();
    // ClusterJoinWatchdog sets a non-zero code when the node stopped because it could not join its cluster.
    return Environment.ExitCode;
}
catch (InvalidSettingsException ex)
{
    Console.Error.WriteLine("rtmfp-node: " + ex.Message);
    return 2;
}
catch (GatewayBindException ex)
{
    Console.Error.WriteLine("rtmfp-node: " + ex.Message);
    return 2;
}
catch (Rtmfp.Rtmp.RtmpBindException ex)
{
    Console.Error.WriteLine("rtmfp-node: " + ex.Message);
    return 2;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } message)
{
    Console.Error.WriteLine("rtmfp-node: " + message);
    return 2;
}
