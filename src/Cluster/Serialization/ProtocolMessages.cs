using System.Diagnostics.CodeAnalysis;

namespace Rtmfp.Cluster;

/// <summary>
/// One protocol's messages, each named once: its type, its two-letter manifest, how its fields are written and
/// how they are read back. A <see cref="ProtocolSerializer"/> serves whatever its table binds, so a new message
/// is one <see cref="Add{T}"/> line instead of a manifest constant, a bound type and three switch arms.
/// </summary>
internal sealed class ProtocolMessages
{
    private readonly Dictionary<Type, Entry> _byType = [];
    private readonly Dictionary<string, Entry> _byManifest = new(StringComparer.Ordinal);
    private readonly List<Type> _types = [];

    /// <summary>Reads the fields of a message whose manifest named it.</summary>
    public delegate T Reader<out T>(ref ClusterMessageReader r);

    /// <summary>The types to bind to the serializer in Akka's configuration, in the order they were added.</summary>
    public IReadOnlyList<Type> Types => _types;

    /// <summary>Binds <typeparamref name="T"/> (a sealed message type) to <paramref name="manifest"/>.</summary>
    public ProtocolMessages Add<T>(string manifest, Action<ClusterMessageWriter, T> write, Reader<T> read)
        where T : class
    {
        var entry = new Entry<T>(manifest, write, read);
        if (!_byManifest.TryAdd(manifest, entry) || !_byType.TryAdd(typeof(T), entry))
        {
            throw new ArgumentException($"{typeof(T)} or manifest '{manifest}' is bound twice", nameof(manifest));
        }
        _types.Add(typeof(T));
        return this;
    }

    public bool TryGetManifest(object message, out string manifest)
    {
        bool found = _byType.TryGetValue(message.GetType(), out var entry);
        manifest = entry?.Manifest ?? "";
        return found;
    }

    public bool TryWrite(ClusterMessageWriter w, object message)
    {
        if (!_byType.TryGetValue(message.GetType(), out var entry))
        {
            return false;
        }
        entry.Write(w, message);
        return true;
    }

    public bool TryRead(ref ClusterMessageReader r, string manifest, [NotNullWhen(true)] out object? message)
    {
        if (!_byManifest.TryGetValue(manifest, out var entry))
        {
            message = null;
            return false;
        }
        message = entry.Read(ref r);
        return true;
    }

    private abstract class Entry(string manifest)
    {
        public string Manifest { get; } = manifest;

        public abstract void Write(ClusterMessageWriter w, object message);

        public abstract object Read(ref ClusterMessageReader r);
    }

    private sealed class Entry<T>(string manifest, Action<ClusterMessageWriter, T> write, Reader<T> read) : Entry(manifest)
        where T : class
    {
        public override void Write(ClusterMessageWriter w, object message) => write(w, (T)message);

        public override object Read(ref ClusterMessageReader r) => read(ref r);
    }
}
