using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// An RTMP command (RTMP §7.1.1, types 20 and 17): <c>name | transactionID | commandObject | args…</c>.
/// Reading is lenient the way real servers must be (docs/protocol-notes.md §6): the command
/// object slot is recognised only when it holds null, undefined or an object (librtmfp omits it for
/// createStream and setPeerInfo), and decoding stops at the first undecodable value, keeping what
/// was read (<see cref="DecodeError"/> tells why).
/// </summary>
public sealed class Command
{
    public Command(string name, double transactionId, AmfValue? commandObject = null, params ReadOnlySpan<AmfValue> arguments)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        TransactionId = transactionId;
        CommandObject = commandObject ?? AmfNull.Instance;
        HasCommandObject = true;
        Arguments = [.. arguments];
    }

    public string Name { get; }
    public double TransactionId { get; }

    /// <summary>The command object, or null when the sender put null or left the slot out.</summary>
    public AmfValue CommandObject { get; private set; }

    /// <summary>False when the sender omitted the slot (librtmfp); the writer then omits it too.</summary>
    public bool HasCommandObject { get; set; }

    public List<AmfValue> Arguments { get; }

    /// <summary><see cref="AmfError.None"/> when every value decoded; otherwise the arguments are those read before the failure.</summary>
    public AmfError DecodeError { get; private set; }

    /// <summary>The i-th argument after the command object, or null.</summary>
    public AmfValue? Argument(int index) => (uint)index < (uint)Arguments.Count ? Arguments[index] : null;

    /// <summary>Reads a command from a type 17 or 20 message.</summary>
    public static bool TryRead(in RtmpMessage message, AmfReader reader, [NotNullWhen(true)] out Command? command) =>
        TryRead(message.Type, message.Payload, reader, out command);

    /// <summary>
    /// Reads a command from a type 17 (format byte 0, then AMF0 with AVM+ values) or type 20 payload.
    /// Fails when the type is not a command, the format byte is not 0, or the name (string) or the
    /// transaction ID (number) cannot be read. Resets <paramref name="reader"/> (one payload = one scope).
    /// </summary>
    public static bool TryRead(RtmpMessageType type, ReadOnlySpan<byte> payload, AmfReader reader, [NotNullWhen(true)] out Command? command)
    {
        command = null;
        if (type is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
            || !RtmpMessage.TryGetAmfBody(type, payload, out var body))
        {
            return false;
        }
        reader.Reset();
        int p = 0;
        if (!reader.TryReadAmf0(body, ref p, out var nameValue) || nameValue is not AmfString name)
        {
            return false;
        }
        if (!reader.TryReadAmf0(body, ref p, out var tidValue) || tidValue.AsNumber is not double tid)
        {
            return false;
        }
        command = new Command(name.Value, tid) { HasCommandObject = false };
        if (p == body.Length)
        {
            return true;
        }
        if (!reader.TryReadAmf0(body, ref p, out var third))
        {
            command.DecodeError = reader.Error;
            return true;
        }
        if (third.IsNullOrUndefined || third is AmfObject || third is AmfArray { IsEcmaArray: true })
        {
            command.CommandObject = third.Type == AmfType.Undefined ? AmfNull.Instance : third;
            command.HasCommandObject = true;
        }
        else
        {
            command.Arguments.Add(third);
        }
        while (p < body.Length)
        {
            if (!reader.TryReadAmf0(body, ref p, out var arg))
            {
                command.DecodeError = reader.Error;
                break;
            }
            command.Arguments.Add(arg);
        }
        return true;
    }

    /// <summary>
    /// Writes the payload. Type 17 (<paramref name="amf3Envelope"/>) gets the 0x00 format byte; the
    /// values are AMF0 either way (AMF3-only values through the AVM+ switch).
    /// </summary>
    public void WritePayload(IBufferWriter<byte> output, Amf0Writer writer, bool amf3Envelope = false)
    {
        RtmpMessage.BeginAmfPayload(output, writer, amf3Envelope);
        Amf0Writer.WriteString(output, Name);
        Amf0Writer.WriteNumber(output, TransactionId);
        if (HasCommandObject)
        {
            writer.Write(output, CommandObject);
        }
        writer.WriteEach(output, Arguments);
    }

    /// <summary>Writes a whole RTMFP message (header + payload), type 20 or 17.</summary>
    public void WriteMessage(IBufferWriter<byte> output, Amf0Writer writer, uint timestamp = 0, RtmpMessageType type = RtmpMessageType.CommandAmf0)
    {
        bool amf3Envelope = RtmpMessage.WriteAmfHeader(output, type, timestamp, RtmpMessageType.CommandAmf0, RtmpMessageType.CommandAmf3, "commands");
        WritePayload(output, writer, amf3Envelope);
    }

    /// <summary>Convenience: the message bytes (allocates; for tests and cold paths).</summary>
    public byte[] ToMessage(uint timestamp = 0, RtmpMessageType type = RtmpMessageType.CommandAmf0)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteMessage(buffer, new Amf0Writer(), timestamp, type);
        return buffer.WrittenSpan.ToArray();
    }

    public override string ToString() =>
        $"{Name}({TransactionId}, {(HasCommandObject ? CommandObject.ToString() : "-")}{(Arguments.Count == 0 ? "" : ", ")}{string.Join(", ", Arguments)})";
}
