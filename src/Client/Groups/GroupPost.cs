using Rtmfp.Shared.Amf;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A message posted to the group (Flash's <c>NetGroup.post</c>, docs/groups.md §6.6): every member gets it once,
/// whichever neighbours it came through. <paramref name="MessageId"/> is the hex SHA-256 of its serialized bytes:
/// posting the same value twice is one post.
/// </summary>
public sealed record GroupPost(string MessageId, AmfValue Value, string FromPeerId);
