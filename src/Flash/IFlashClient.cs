using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>A connected client as an application sees it.</summary>
public interface IFlashClient
{
    long ConnectionId { get; }

    /// <summary>First path segment of the connect URI (e.g. "live"); empty before connect.</summary>
    string ApplicationName { get; }

    /// <summary>The whole application path after the host (e.g. "live/room1"), without query.</summary>
    string ApplicationPath { get; }

    PeerId? PeerId { get; }
    Address ObservedAddress { get; }

    /// <summary>Addresses the client reported with setPeerInfo (RFC 7425 §5.3.3), origin <see cref="AddressOrigin.Local"/>.</summary>
    IReadOnlyList<Address> PeerAddresses { get; }

    /// <summary>Null until setPeerInfo; then whether the observed address is missing from the reported ones (RFC 7425 §5.3.3).</summary>
    bool? IsBehindNat { get; }

    /// <summary>The connect command object (app, tcUrl, flashVer…).</summary>
    AmfValue ConnectParameters { get; }

    /// <summary>Free slot for application state.</summary>
    object? ApplicationState { get; set; }

    /// <summary>Calls a client method with a transaction ID and waits for its <c>_result</c>/<c>_error</c>.</summary>
    ValueTask<ClientCallResult> CallAsync(string method, params AmfValue[] arguments);

    /// <summary>Calls a client method without expecting an answer (transaction ID 0).</summary>
    void Notify(string method, params AmfValue[] arguments);

    /// <summary>Orderly close by the server (RFC 7425 §5.3.6).</summary>
    void Close();
}
