using System.Net;
using Rtmfp.Client;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.ClientCli;

/// <summary>What every command needs to open sessions.</summary>
internal sealed record ConnectSettings(RtmfpUri Uri, IReadOnlyList<DiffieHellmanGroup> Groups, KeyingPolicy Policy, bool EphemeralKeys,
    IPEndPoint? Bind, TimeSpan ConnectTimeout)
{
    public RtmfpClientOptions ToOptions() => new()
    {
        Groups = Groups,
        Policy = Policy,
        EphemeralKeys = EphemeralKeys,
        LocalEndPoint = Bind,
        ConnectTimeout = ConnectTimeout,
        AnswerTimeout = ConnectTimeout, // --timeout bounds the server's answers too (connect, createStream, play, publish)
    };
}
