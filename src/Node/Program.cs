using Microsoft.Extensions.Hosting;
using Rtmfp.Gateway;
using Rtmfp.Node;

try
{
    using var host = NodeHost.Build(args);
    await host.RunAsync();
    return 0;
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
