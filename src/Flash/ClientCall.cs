using Rtmfp.Shared.Amf;

namespace Rtmfp.Flash;

/// <summary>A client-to-server call (<c>NetConnection.call</c>) the layer does not handle itself.</summary>
/// <param name="TransactionId">0 when the client expects no answer.</param>
public sealed record ClientCall(string Method, double TransactionId, AmfValue CommandObject, IReadOnlyList<AmfValue> Arguments);
