namespace Rtmfp.ClientCli;

/// <summary><paramref name="StreamName"/> null: the URI fragment, else the file's base name (as tcpublish).</summary>
internal sealed record PublishSettings(ConnectSettings Connect, string File, string? StreamName, bool Loop, bool P2P);
