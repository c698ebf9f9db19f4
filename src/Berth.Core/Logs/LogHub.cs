using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Berth.Core.Logs;

/// <summary>
/// Where stored and live lines meet. Every append to a container's files and its delivery to the
/// container's followers happen under one lock per container, and a follower starts under the same
/// lock with a cut of the files: the files up to the cut plus the live lines after it are every line,
/// each once.
/// </summary>
public sealed class LogHub(LogStore store, IOptions<LogsOptions> options)
{
    private readonly ConcurrentDictionary<Guid, Feed> _feeds = new();
    private readonly int _capacity = options.Value.FollowerBuffer;

    internal LogStore Store => store;

    /// <summary>Writes one line to the replica's files and hands it to the container's followers.</summary>
    internal void Append(Guid containerId, ReplicaLogWriter writer, ReplicaLogLine line)
    {
        var feed = _feeds.GetOrAdd(containerId, _ => new Feed());
        lock (feed.Gate)
        {
            writer.Write(line);
            writer.Flush();
            if (feed.Followers.Count > 0)
            {
                var logLine = new LogLine(line.Time, writer.Replica, line.Stream, line.Text);
                foreach (var follower in feed.Followers)
                {
                    follower.Offer(logLine);
                }
            }
        }
    }

    /// <summary>The container's files as they are now and, when <paramref name="follow"/>, a follower of every line after them.</summary>
    internal (IReadOnlyList<LogSegment> Segments, LogFollower? Follower) Open(Guid containerId, bool follow)
    {
        var feed = _feeds.GetOrAdd(containerId, _ => new Feed());
        lock (feed.Gate)
        {
            var segments = store.Segments(containerId);
            if (!follow)
            {
                return (segments, null);
            }
            var follower = new LogFollower(_capacity, f => Remove(containerId, f));
            feed.Followers.Add(follower);
            return (segments, follower);
        }
    }

    /// <summary>The containers someone follows now.</summary>
    internal IReadOnlyList<Guid> Followed() =>
        [.. _feeds.Where(f => { lock (f.Value.Gate) { return f.Value.Followers.Count > 0; } }).Select(f => f.Key)];

    /// <summary>Ends every follower of a container that no longer exists, and forgets it.</summary>
    internal void Close(Guid containerId)
    {
        if (_feeds.TryRemove(containerId, out var feed))
        {
            lock (feed.Gate)
            {
                foreach (var follower in feed.Followers)
                {
                    follower.Complete();
                }
            }
        }
    }

    private void Remove(Guid containerId, LogFollower follower)
    {
        if (_feeds.TryGetValue(containerId, out var feed))
        {
            lock (feed.Gate)
            {
                feed.Followers.Remove(follower);
            }
        }
    }

    private sealed class Feed
    {
        public Lock Gate { get; } = new();

        public List<LogFollower> Followers { get; } = [];
    }
}
