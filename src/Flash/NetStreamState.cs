namespace Rtmfp.Flash;

/// <summary>What a <see cref="NetStream"/> is doing.</summary>
internal enum NetStreamState : byte
{
    Idle,
    Publishing,
    Playing,
}
