namespace Rtmfp.ClientCli;

public sealed record PingSettings(ConnectSettings Connect, int Count, TimeSpan Interval, TimeSpan ReplyTimeout);
