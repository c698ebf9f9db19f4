using System.Threading.Channels;
using Berth.Core.Engine;

namespace Berth.Core.Commands;

/// <summary>What a watcher of a command receives: output as it is produced, then the final record.</summary>
public abstract record CommandEvent;

public sealed record CommandOutput(OutputStream Stream, string Text) : CommandEvent;

public sealed record CommandFinished(CommandExecution Command) : CommandEvent;

/// <summary>
/// Fans a running command's output out to its watchers. A watcher that joins late first receives
/// everything produced so far (the same bounded output the record keeps), then the rest live.
/// </summary>
public sealed class CommandFeeds
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Feed> _feeds = [];

    public Subscription Subscribe(Guid commandId)
    {
        var channel = Channel.CreateUnbounded<CommandEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            var feed = GetOrAdd(commandId);
            foreach (var past in feed.History)
            {
                channel.Writer.TryWrite(past);
            }
            feed.Subscribers.Add(channel);
            return new Subscription(this, commandId, channel);
        }
    }

    /// <summary>The runner starts producing output for this command.</summary>
    internal void Open(Guid commandId)
    {
        lock (_gate)
        {
            GetOrAdd(commandId).Owned = true;
        }
    }

    internal void Append(Guid commandId, OutputStream stream, string text)
    {
        if (text.Length == 0)
        {
            return;
        }
        var output = new CommandOutput(stream, text);
        lock (_gate)
        {
            if (_feeds.TryGetValue(commandId, out var feed))
            {
                feed.History.Add(output);
                foreach (var subscriber in feed.Subscribers)
                {
                    subscriber.Writer.TryWrite(output);
                }
            }
        }
    }

    /// <summary>Called after the final record is stored: watchers get it and their feed ends.</summary>
    internal void Complete(CommandExecution finished)
    {
        lock (_gate)
        {
            if (!_feeds.Remove(finished.Id, out var feed))
            {
                return;
            }
            var last = new CommandFinished(finished);
            foreach (var subscriber in feed.Subscribers)
            {
                subscriber.Writer.TryWrite(last);
                subscriber.Writer.TryComplete();
            }
        }
    }

    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _feeds.Count;
            }
        }
    }

    private Feed GetOrAdd(Guid commandId)
    {
        if (!_feeds.TryGetValue(commandId, out var feed))
        {
            feed = new Feed();
            _feeds[commandId] = feed;
        }
        return feed;
    }

    private void Leave(Guid commandId, Channel<CommandEvent> channel)
    {
        lock (_gate)
        {
            if (_feeds.TryGetValue(commandId, out var feed) && feed.Subscribers.Remove(channel)
                && feed.Subscribers.Count == 0 && !feed.Owned)
            {
                _feeds.Remove(commandId);
            }
        }
    }

    private sealed class Feed
    {
        public List<CommandEvent> History { get; } = [];
        public List<Channel<CommandEvent>> Subscribers { get; } = [];
        public bool Owned { get; set; }
    }

    public sealed class Subscription : IDisposable
    {
        private readonly CommandFeeds _owner;
        private readonly Guid _commandId;
        private readonly Channel<CommandEvent> _channel;
        private int _disposed;

        internal Subscription(CommandFeeds owner, Guid commandId, Channel<CommandEvent> channel)
        {
            _owner = owner;
            _commandId = commandId;
            _channel = channel;
        }

        public ChannelReader<CommandEvent> Events => _channel.Reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Leave(_commandId, _channel);
            }
        }
    }
}
