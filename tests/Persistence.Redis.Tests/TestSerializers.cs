using System.Text;
using Akka.Actor;
using Akka.Serialization;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>A user event that must go through <see cref="TestEventSerializer"/>, not the default serializer.</summary>
public sealed record TestEvent(string Text, int Number);

/// <summary>Non-default serializer with a string manifest; its bytes carry a marker the tests look for.</summary>
public sealed class TestEventSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 9_001;
    public const string Marker = "TE1|";
    public const string TestEventManifest = "test-event";

    public static int Serialized;

    public override int Identifier => Id;

    public override string Manifest(object o) => o is TestEvent ? TestEventManifest : throw new ArgumentException(o.GetType().Name);

    public override byte[] ToBinary(object obj)
    {
        var e = (TestEvent)obj;
        Interlocked.Increment(ref Serialized);
        return Encoding.UTF8.GetBytes($"{Marker}{e.Number}|{e.Text}");
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != TestEventManifest) throw new ArgumentException($"unknown manifest {manifest}");
        var text = Encoding.UTF8.GetString(bytes);
        if (!text.StartsWith(Marker, StringComparison.Ordinal)) throw new ArgumentException("marker missing");
        var parts = text[Marker.Length..].Split('|', 2);
        return new TestEvent(parts[1], int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>An event no serializer accepts: the journal must reject its batch alone.</summary>
public sealed record Unserializable(string Text);

public sealed class ThrowingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 9_002;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new InvalidOperationException("not serializable by design");

    public override object FromBinary(byte[] bytes, Type? type) => throw new InvalidOperationException("not serializable by design");
}

/// <summary>A payload holding an actor ref, as the TCK's TestPayload: the ref must come back resolvable.</summary>
public sealed record TestPayload(IActorRef Ref);

public sealed class TestPayloadSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 9_003;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.SerializedActorPath(((TestPayload)obj).Ref));

    public override object FromBinary(byte[] bytes, Type? type) =>
        new TestPayload(system.Provider.ResolveActorRef(Encoding.UTF8.GetString(bytes)));
}
