namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp setup</c>: <paramref name="Sessions"/> measured sessions after <paramref name="Warmup"/> unmeasured ones,
/// at most <paramref name="Concurrent"/> in flight; <paramref name="ServerPid"/> (0: none) is the server process whose
/// CPU time is read from /proc, <paramref name="Idle"/> how long it is watched idle before the measured sessions.
/// </summary>
internal sealed record SetupSettings(ConnectSettings Connect, int Sessions, int Warmup, int Concurrent, int ServerPid, TimeSpan Idle,
    TimeSpan Settle);
