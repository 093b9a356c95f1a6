using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Rtmfp.Cluster;

/// <summary>
/// What every protocol's serializer shares: a compact binary form written by <see cref="ClusterMessageWriter"/>
/// and read back by <see cref="ClusterMessageReader"/>, which rejects malformed bytes with a
/// <see cref="SerializationException"/> (Akka remoting reports and drops it), and actor references as their
/// serialized paths. A message whose pooled buffer was rented before the bytes proved malformed gives it back.
/// </summary>
internal abstract class ProtocolSerializer : SerializerWithStringManifest
{
    [ThreadStatic]
    private static ClusterMessageWriter? t_writer;

    private long _serialized;

    protected ProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <summary>Messages this serializer wrote: each is one message to another node (tests count what crosses).</summary>
    public long Serialized => Interlocked.Read(ref _serialized);

    public sealed override byte[] ToBinary(object obj)
    {
        Interlocked.Increment(ref _serialized);
        var w = t_writer ??= new ClusterMessageWriter();
        w.Clear();
        Write(w, obj);
        return w.ToArray();
    }

    public sealed override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new ClusterMessageReader(bytes, manifest);
        object message = Read(ref r, manifest);
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

    private protected abstract void Write(ClusterMessageWriter w, object message);

    private protected abstract object Read(ref ClusterMessageReader r, string manifest);

    /// <summary>Gives back the pooled buffer of a message rejected after it was read (packets only).</summary>
    private protected virtual void ReturnPooled(object message)
    {
    }

    private protected ArgumentException NotOurs(object o) => new($"{o.GetType()} is not a message of {GetType().Name}", nameof(o));

    private protected static SerializationException UnknownManifest(string manifest) => new($"unknown cluster message manifest '{manifest}'");

    private protected static void WriteActorRef(ClusterMessageWriter w, IActorRef actor) =>
        w.WriteString(Akka.Serialization.Serialization.SerializedActorPath(actor));

    private protected IActorRef ReadActorRef(ref ClusterMessageReader r)
    {
        string path = r.ReadString();
        // An unknown but well-formed path resolves to dead letters (the actor may be gone); garbage is an error.
        // Akka's parser and resolver throw FormatException and others on some malformed names and UIDs.
        try
        {
            if (ActorPath.TryParse(path, out _))
            {
                return system.Provider.ResolveActorRef(path);
            }
        }
        catch (Exception e) when (e is not SerializationException)
        {
        }
        throw r.Error("actor path");
    }
}
