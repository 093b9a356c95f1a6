namespace Rtmfp.ClientCli;

/// <summary><paramref name="MoveAfter"/>: rebind to a new local port after this many echoes (mobility, RFC 7016 §3.5.4.2); 0 = never.</summary>
internal sealed record EchoSettings(ConnectSettings Connect, int Count, int Size, TimeSpan Wait, int MoveAfter = 0);
