using System.Threading.Channels;
using Berth.Core.Audit;

namespace Berth.Server.Audit;

/// <summary>
/// The queue between requests and the store: recording costs a request one channel write, and
/// <see cref="AuditWriter"/> stores the entries in batches behind its back.
/// </summary>
internal sealed partial class AuditLog(ILogger<AuditLog> logger)
{
    // Far above what one writer falls behind by in practice; past it entries are dropped (and logged)
    // rather than holding requests back.
    private const int Capacity = 10_000;

    private readonly Channel<AuditEntry> _queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    internal ChannelReader<AuditEntry> Reader => _queue.Reader;

    public void Record(AuditEntry entry)
    {
        if (!_queue.Writer.TryWrite(entry))
        {
            Dropped(logger, entry.Method, entry.Route ?? entry.Path, entry.Status);
        }
    }

    /// <summary>No more entries: the writer stores what is queued and stops.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit queue full or closed; dropped the entry for {Method} {Route} ({Status})")]
    private static partial void Dropped(ILogger logger, string method, string route, int status);
}
