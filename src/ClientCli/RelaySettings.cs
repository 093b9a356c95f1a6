namespace Rtmfp.ClientCli;

/// <summary><paramref name="BitrateKbps"/>: the publisher's total rate (audio 64 kbit/s, the rest video at 25 fps).</summary>
internal sealed record RelaySettings(ConnectSettings Connect, int Players, double BitrateKbps, TimeSpan Duration, int Loops,
    int ConcurrentHandshakes, double DelayThresholdMs, string? StreamName = null);
