using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Rtmfp.Cluster;

/// <summary>
/// What every protocol's serializer shares: a compact binary form written by <see cref="ClusterMessageWriter"/>
/// and read back by <see cref="ClusterMessageReader"/>, which rejects malformed bytes with a
/// <see cref="SerializationException"/> (Akka remoting reports and drops it), and actor references as their
/// serialized paths. Which messages, under which manifests, is the protocol's <see cref="ProtocolMessages"/>
/// table. A message whose pooled buffer was rented before the bytes proved malformed gives it back.
/// </summary>
internal abstract class ProtocolSerializer : SerializerWithStringManifest
{
    [ThreadStatic]
    private static ClusterMessageWriter? t_writer;

    private readonly ProtocolMessages _messages;
    private long _serialized;

    protected ProtocolSerializer(ExtendedActorSystem system, ProtocolMessages messages) : base(system)
    {
        _messages = messages;
    }

    /// <summary>Messages this serializer wrote: each is one message to another node (tests count what crosses).</summary>
    public long Serialized => Interlocked.Read(ref _serialized);

    public sealed override string Manifest(object o) =>
        _messages.TryGetManifest(o, out string manifest) ? manifest : throw NotOurs(o);

    public sealed override byte[] ToBinary(object obj)
    {
        Interlocked.Increment(ref _serialized);
        var w = t_writer ??= new ClusterMessageWriter();
        w.Clear();
        if (!_messages.TryWrite(w, obj))
        {
            throw NotOurs(obj);
        }
        return w.ToArray();
    }

    public sealed override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new ClusterMessageReader(bytes, manifest, system);
        if (!_messages.TryRead(ref r, manifest, out object? message))
        {
            throw new SerializationException($"unknown cluster message manifest '{manifest}'");
        }
        try
        {
            r.End();
        }
        catch (SerializationException)
        {
            ReturnPooled(message);
            throw;
        }
        return message;
    }

    /// <summary>Gives back the pooled buffer of a message rejected after it was read (packets only).</summary>
    private protected virtual void ReturnPooled(object message)
    {
    }

    private ArgumentException NotOurs(object o) => new($"{o.GetType()} is not a message of {GetType().Name}", nameof(o));
}
