namespace Rtmfp.Shared.Flash;

/// <summary>Info object levels (RTMP §7.2.2).</summary>
public static class StatusLevel
{
    public const string Status = "status";
    public const string Error = "error";
    public const string Warning = "warning";
}

/// <summary>NetStatus codes a server sends (AS3 NetStatusEvent; docs/protocol-notes.md §6).</summary>
public static class StatusCode
{
    public const string ConnectSuccess = "NetConnection.Connect.Success";
    public const string ConnectRejected = "NetConnection.Connect.Rejected";
    public const string ConnectInvalidApp = "NetConnection.Connect.InvalidApp";
    public const string ConnectFailed = "NetConnection.Connect.Failed";
    public const string ConnectClosed = "NetConnection.Connect.Closed";
    public const string ConnectAppShutdown = "NetConnection.Connect.AppShutdown";
    public const string ConnectIdleTimeout = "NetConnection.Connect.IdleTimeout";
    public const string ConnectReconnectRequest = "NetConnection.Connect.ReconnectRequest";
    public const string CallFailed = "NetConnection.Call.Failed";
    public const string PublishStart = "NetStream.Publish.Start";
    public const string PublishBadName = "NetStream.Publish.BadName";
    public const string PublishIdle = "NetStream.Publish.Idle";
    public const string UnpublishSuccess = "NetStream.Unpublish.Success";
    public const string PlayReset = "NetStream.Play.Reset";
    public const string PlayStart = "NetStream.Play.Start";
    public const string PlayStop = "NetStream.Play.Stop";
    public const string PlayFailed = "NetStream.Play.Failed";
    public const string PlayStreamNotFound = "NetStream.Play.StreamNotFound";
    public const string PlayPublishNotify = "NetStream.Play.PublishNotify";
    public const string PlayUnpublishNotify = "NetStream.Play.UnpublishNotify";
    public const string PauseNotify = "NetStream.Pause.Notify";
    public const string UnpauseNotify = "NetStream.Unpause.Notify";
    public const string SeekNotify = "NetStream.Seek.Notify";
    public const string SeekInvalidTime = "NetStream.Seek.InvalidTime";
    public const string StreamFailed = "NetStream.Failed";
}

/// <summary>Command names seen on NetConnection and NetStream flows (RTMP §7.2; B4, B5).</summary>
public static class CommandName
{
    public const string Connect = "connect";
    public const string Result = "_result";
    public const string Error = "_error";
    public const string OnStatus = "onStatus";
    public const string CreateStream = "createStream";
    public const string DeleteStream = "deleteStream";
    public const string CloseStream = "closeStream";
    public const string SetPeerInfo = "setPeerInfo";
    public const string Publish = "publish";
    public const string Play = "play";
    public const string Play2 = "play2";
    public const string Pause = "pause";
    public const string Seek = "seek";
    public const string ReceiveAudio = "receiveAudio";
    public const string ReceiveVideo = "receiveVideo";
    public const string ReleaseStream = "releaseStream";
    public const string FCPublish = "FCPublish";
    public const string FCUnpublish = "FCUnpublish";
    public const string Close = "close";
}
