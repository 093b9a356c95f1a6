namespace Rtmfp.Client;

/// <summary>
/// A message of an incoming flow and when the datagram that completed it reached the socket (a
/// <see cref="System.Diagnostics.Stopwatch"/> timestamp; see <see cref="RtmfpClientOptions.KernelReceiveTimestamps"/>).
/// </summary>
public readonly record struct ArrivedMessage(ReadOnlyMemory<byte> Message, long ArrivedTimestamp);
