namespace Rtmfp.ClientCli;

internal sealed record PingSettings(ConnectSettings Connect, int Count, TimeSpan Interval, TimeSpan ReplyTimeout);
