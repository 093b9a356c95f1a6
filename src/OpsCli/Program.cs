using Rtmfp.OpsCli;

return await OpsCliApp.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
