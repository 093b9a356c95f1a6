namespace Rtmfp.ClientCli;

public sealed record EchoSettings(ConnectSettings Connect, int Count, int Size, TimeSpan Wait);
