
namespace Rtmfp.Shared.Groups;

/// <summary>One neighbour's side of one group stream (docs/groups.md §6.5): what each side asked of the other and what it announced.</summary>
public sealed class PeerMedia(IMediaLink link)
{
    private byte[] _mapIn = [];

    public IMediaLink Link { get; } = link;

    public string PeerId => Link.PeerId;

    /// <summary>We sent it our media infos for this stream.</summary>
    public bool InfosSent { get; set; }

    /// <summary>It sent us its media infos for this stream: it takes part in it, and our fragments can go to it.</summary>
    public bool Subscribed { get; set; }

    /// <summary>Fragment ID bits (ID mod 8) it asked us to push.</summary>
    public byte PushOut { get; set; }

    /// <summary>Fragment ID bits we asked it to push.</summary>
    public byte PushIn { get; set; }

    /// <summary>The last ID of its latest fragments map (0: none yet).</summary>
    public ulong MapInLast { get; private set; }

    /// <summary>The window version of the latest map we sent it (0: none).</summary>
    public long MapOutVersion { get; set; }

    /// <summary>Keeps its map; false for a map older than the one held (one with the same last ID may hold more).</summary>
    public bool TakeMap(ulong last, ReadOnlySpan<byte> bitmap)
    {
        if (last < MapInLast)
        {
            return false;
        }
        MapInLast = last;
        if (_mapIn.Length != bitmap.Length)
        {
            _mapIn = new byte[bitmap.Length];
        }
        bitmap.CopyTo(_mapIn);
        return true;
    }

    /// <summary>Whether its latest map announced <paramref name="id"/>.</summary>
    public bool Has(ulong id) => MapInLast != 0 && FragmentsMap.Contains(MapInLast, _mapIn, id);

    /// <summary>The oldest fragment its latest map announced.</summary>
    public ulong OldestAnnounced => MapInLast == 0 ? 0 : FragmentsMap.Oldest(MapInLast, _mapIn);
}
