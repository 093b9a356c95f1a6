using Rtmfp.Engine;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Flows;

/// <summary>
/// Claims each incoming flow of a session by its metadata (RFC 7016 §3.6.2.1; RFC 7425 §5.1.1 signatures "TC",
/// "GC", "GR") and hands it to the service registered for it; a flow nobody serves is rejected
/// (RFC 7016 §3.6.3.7). Later messages of a claimed flow go straight to its service.
/// </summary>
internal sealed class FlowRouter
{
    private readonly IFlowService?[] _bySignature = new IFlowService?[Enum.GetValues<FlowSignatureKind>().Length];
    private readonly List<(byte[] Prefix, IFlowService Service)> _byPrefix = [];
    private readonly List<IFlowService> _services = [];
    private readonly Dictionary<RecvFlow, IFlowService> _claimed = new(ReferenceEqualityComparer.Instance);

    /// <summary>Flows with this Flash signature go to <paramref name="service"/>.</summary>
    public void Register(FlowSignatureKind signature, IFlowService service)
    {
        _bySignature[(int)signature] = service;
        Remember(service);
    }

    /// <summary>Flows whose metadata starts with <paramref name="prefix"/> go to <paramref name="service"/> (checked first).</summary>
    public void Register(ReadOnlySpan<byte> prefix, IFlowService service)
    {
        _byPrefix.Add((prefix.ToArray(), service));
        Remember(service);
    }

    public int ClaimedFlows => _claimed.Count;

    public void OnFlowOpened(RecvFlow flow)
    {
        var service = Find(flow.Metadata.Span);
        if (service is not null && service.TryAccept(flow))
        {
            _claimed[flow] = service;
            return;
        }
        // RFC 7016 §3.6.3.7, RFC 7425 §5.1.1: a flow nobody handles is rejected.
        flow.Reject(0);
    }

    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (_claimed.TryGetValue(flow, out var service))
        {
            service.OnMessage(flow, message);
        }
    }

    public void OnFlowComplete(RecvFlow flow)
    {
        if (_claimed.Remove(flow, out var service))
        {
            service.OnFlowComplete(flow);
        }
    }

    public void OnFlowException(SendFlow flow)
    {
        foreach (var service in _services)
        {
            service.OnFlowException(flow);
        }
    }

    private IFlowService? Find(ReadOnlySpan<byte> metadata)
    {
        foreach (var (prefix, service) in _byPrefix)
        {
            if (metadata.StartsWith(prefix))
            {
                return service;
            }
        }
        return _bySignature[(int)FlowSignature.Classify(metadata)];
    }

    private void Remember(IFlowService service)
    {
        if (!_services.Contains(service))
        {
            _services.Add(service);
        }
    }
}
