using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Persistence;
using Akka.Serialization;
using Google.Protobuf;

namespace Rtmfp.Persistence.Redis.Serialization;

/// <summary>
/// The snapshot envelope, byte-compatible with Akka.Persistence.Redis's SnapshotMessage (proto3,
/// serializer id 48, dependencies.md §3 "Serialization"):
/// <code>
/// SnapshotMessage   { string persistenceId = 1; int64 sequenceNr = 2; Timestamp timeStamp = 3; PersistentPayload payload = 4; }
/// Timestamp         { int64 seconds = 1; int32 nanos = 2; }   // google.protobuf.Timestamp
/// PersistentPayload { int32 serializerId = 1; bytes payload = 2; bytes payloadManifest = 3; }
/// </code>
/// The payload goes through whatever serializer Akka binds to the snapshot's type.
/// </summary>
public sealed class RedisSnapshotSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public const int SerializerId = 48;

    private const uint PersistenceIdTag = (1 << 3) | 2;
    private const uint SequenceNrTag = (2 << 3) | 0;
    private const uint TimeStampTag = (3 << 3) | 2;
    private const uint PayloadTag = (4 << 3) | 2;
    private const uint SecondsTag = (1 << 3) | 0;
    private const uint NanosTag = (2 << 3) | 0;
    private const uint SerializerIdTag = (1 << 3) | 0;
    private const uint PayloadBytesTag = (2 << 3) | 2;
    private const uint PayloadManifestTag = (3 << 3) | 2;

    public override int Identifier => SerializerId;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        if (obj is not SelectedSnapshot snapshot)
            throw new ArgumentException($"{nameof(RedisSnapshotSerializer)} cannot serialize {obj?.GetType().FullName ?? "null"}");

        var payloadSerializer = system.Serialization.FindSerializerFor(snapshot.Snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(payloadSerializer, snapshot.Snapshot);
        // Actor refs inside a snapshot are written with this system's address.
        var payloadBytes = Akka.Serialization.Serialization.WithTransport(system,
            (payloadSerializer, snapshot.Snapshot), static s => s.payloadSerializer.ToBinary(s.Snapshot));
        var manifestBytes = System.Text.Encoding.UTF8.GetBytes(manifest);

        var (seconds, nanos) = ToTimestamp(snapshot.Metadata.Timestamp);
        var timestampSize = (seconds != 0 ? 1 + CodedOutputStream.ComputeInt64Size(seconds) : 0)
                            + (nanos != 0 ? 1 + CodedOutputStream.ComputeInt32Size(nanos) : 0);
        var payloadSize = (payloadSerializer.Identifier != 0 ? 1 + CodedOutputStream.ComputeInt32Size(payloadSerializer.Identifier) : 0)
                          + (payloadBytes.Length != 0 ? 1 + CodedOutputStream.ComputeLengthSize(payloadBytes.Length) + payloadBytes.Length : 0)
                          + (manifestBytes.Length != 0 ? 1 + CodedOutputStream.ComputeLengthSize(manifestBytes.Length) + manifestBytes.Length : 0);
        var persistenceId = snapshot.Metadata.PersistenceId ?? string.Empty;
        var size = (persistenceId.Length != 0 ? 1 + CodedOutputStream.ComputeStringSize(persistenceId) : 0)
                   + (snapshot.Metadata.SequenceNr != 0 ? 1 + CodedOutputStream.ComputeInt64Size(snapshot.Metadata.SequenceNr) : 0)
                   + 1 + CodedOutputStream.ComputeLengthSize(timestampSize) + timestampSize
                   + 1 + CodedOutputStream.ComputeLengthSize(payloadSize) + payloadSize;

        var buffer = new byte[size];
        var output = new CodedOutputStream(buffer);
        if (persistenceId.Length != 0)
        {
            output.WriteTag(PersistenceIdTag);
            output.WriteString(persistenceId);
        }
        if (snapshot.Metadata.SequenceNr != 0)
        {
            output.WriteTag(SequenceNrTag);
            output.WriteInt64(snapshot.Metadata.SequenceNr);
        }
        output.WriteTag(TimeStampTag);
        output.WriteLength(timestampSize);
        if (seconds != 0)
        {
            output.WriteTag(SecondsTag);
            output.WriteInt64(seconds);
        }
        if (nanos != 0)
        {
            output.WriteTag(NanosTag);
            output.WriteInt32(nanos);
        }
        output.WriteTag(PayloadTag);
        output.WriteLength(payloadSize);
        if (payloadSerializer.Identifier != 0)
        {
            output.WriteTag(SerializerIdTag);
            output.WriteInt32(payloadSerializer.Identifier);
        }
        if (payloadBytes.Length != 0)
        {
            output.WriteTag(PayloadBytesTag);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(payloadBytes));
        }
        if (manifestBytes.Length != 0)
        {
            output.WriteTag(PayloadManifestTag);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(manifestBytes));
        }
        output.CheckNoSpaceLeft();
        return buffer;
    }

    public override object FromBinary(byte[] bytes, Type? type)
    {
        try
        {
            return Parse(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"{nameof(RedisSnapshotSerializer)}: corrupt snapshot envelope", e);
        }
    }

    private SelectedSnapshot Parse(byte[] bytes)
    {
        var persistenceId = string.Empty;
        long sequenceNr = 0;
        DateTime? timestamp = null;
        int? serializerId = null;
        ByteString payload = ByteString.Empty, manifest = ByteString.Empty;

        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case PersistenceIdTag: persistenceId = input.ReadString(); break;
                case SequenceNrTag: sequenceNr = input.ReadInt64(); break;
                case TimeStampTag: timestamp = ParseTimestamp(input.ReadBytes()); break;
                case PayloadTag: (serializerId, payload, manifest) = ParsePayload(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }

        // Both messages are always written; without them the envelope is not one of ours.
        if (timestamp is not DateTime when || serializerId is not int id)
            throw new SerializationException($"{nameof(RedisSnapshotSerializer)}: envelope without timestamp or payload");
        var snapshot = system.Serialization.Deserialize(payload.ToByteArray(), id, manifest.ToStringUtf8());
        return new SelectedSnapshot(new SnapshotMetadata(persistenceId, sequenceNr, when), snapshot);
    }

    private static DateTime ParseTimestamp(ByteString message)
    {
        long seconds = 0;
        int nanos = 0;
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case SecondsTag: seconds = input.ReadInt64(); break;
                case NanosTag: nanos = input.ReadInt32(); break;
                default: input.SkipLastField(); break;
            }
        }
        return FromTimestamp(seconds, nanos);
    }

    private static (int SerializerId, ByteString Payload, ByteString Manifest) ParsePayload(ByteString message)
    {
        int serializerId = 0;
        ByteString payload = ByteString.Empty, manifest = ByteString.Empty;
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case SerializerIdTag: serializerId = input.ReadInt32(); break;
                case PayloadBytesTag: payload = input.ReadBytes(); break;
                case PayloadManifestTag: manifest = input.ReadBytes(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (serializerId, payload, manifest);
    }

    /// <summary>DateTime → google.protobuf.Timestamp (seconds since the Unix epoch, nanos in [0, 1e9)).</summary>
    internal static (long Seconds, int Nanos) ToTimestamp(DateTime value)
    {
        var ticks = value.Ticks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }
        return (seconds, (int)(remainder * 100));
    }

    /// <summary>google.protobuf.Timestamp → UTC DateTime; out-of-range values are corrupt data.</summary>
    internal static DateTime FromTimestamp(long seconds, int nanos)
    {
        const long minSeconds = -62135596800L; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253402300799L; // 9999-12-31T23:59:59Z
        if (seconds < minSeconds || seconds > maxSeconds || nanos < 0 || nanos >= 1_000_000_000)
            throw new SerializationException($"{nameof(RedisSnapshotSerializer)}: timestamp out of range: {seconds}s {nanos}ns");
        return new DateTime(DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + nanos / 100, DateTimeKind.Utc);
    }
}
