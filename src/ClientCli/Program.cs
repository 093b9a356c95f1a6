using Rtmfp.ClientCli;

return await new CliApp().Root.Parse(args).InvokeAsync();
