namespace Rtmfp.Flash;

/// <summary>What a <see cref="NetStream"/> is doing.</summary>
public enum NetStreamState : byte
{
    Idle,
    Publishing,
    Playing,
}
