using System.Globalization;
using Microsoft.Extensions.Options;

namespace Berth.Core.Logs;

/// <summary>One file of one replica's lines: replica <see cref="Replica"/> of engine id prefix <see cref="Key"/>, part <see cref="Generation"/>.</summary>
internal sealed record LogSegment(int Replica, string Key, int Generation, string Path, long Length);

/// <summary>
/// The replicas' lines on disk: <c>{DataDirectory}/logs/{containerId}/{replica}-{engineId}.{part}.log</c>.
/// Each engine container has its own files, so a replaced replica's lines stay next to its
/// successor's. A replica writes its newest part until it holds half of
/// <see cref="LogsOptions.MaxBytesPerReplica"/>, then starts the next and deletes the one before.
/// </summary>
public sealed class LogStore
{
    private const string Extension = ".log";
    private const string OwnerFile = "owner";
    private readonly string _root;
    private readonly LogsOptions _options;

    public LogStore(IOptions<BerthOptions> berth, IOptions<LogsOptions> options)
        : this(Path.Combine(berth.Value.DataDirectory, "logs"), options.Value)
    {
    }

    internal LogStore(string root, LogsOptions options)
    {
        _root = root;
        _options = options;
    }

    internal string Root => _root;

    internal long SegmentBytes => Math.Max(1, _options.MaxBytesPerReplica / 2);

    internal string DirectoryOf(Guid containerId) => Path.Combine(_root, containerId.ToString("D"));

    internal static string KeyOf(int replica, string engineId) =>
        string.Create(CultureInfo.InvariantCulture, $"{replica}-{(engineId.Length > 12 ? engineId[..12] : engineId)}");

    /// <summary>Every file of the container as it is now (call under the container's feed lock for a consistent cut).</summary>
    internal IReadOnlyList<LogSegment> Segments(Guid containerId)
    {
        var directory = DirectoryOf(containerId);
        if (!Directory.Exists(directory))
        {
            return [];
        }
        var segments = new List<LogSegment>();
        try
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*" + Extension))
            {
                if (Parse(file.Name) is { } parsed)
                {
                    segments.Add(new LogSegment(parsed.Replica, parsed.Key, parsed.Generation, file.FullName, file.Length));
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        return segments;
    }

    /// <summary>
    /// Records who owns the container next to its logs, so that they stay readable to that user (and
    /// admins) after the container's record is deleted, until the retention sweeps them.
    /// </summary>
    internal void WriteOwner(Guid containerId, Guid userId)
    {
        var path = Path.Combine(DirectoryOf(containerId), OwnerFile);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(DirectoryOf(containerId));
            File.WriteAllText(path, userId.ToString("D"));
        }
    }

    internal Guid? OwnerOf(Guid containerId)
    {
        try
        {
            return Guid.TryParse(File.ReadAllText(Path.Combine(DirectoryOf(containerId), OwnerFile)), out var owner) ? owner : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    internal ReplicaLogWriter OpenWriter(Guid containerId, int replica, string engineId)
    {
        var key = KeyOf(replica, engineId);
        var existing = Segments(containerId).Where(s => s.Key == key).OrderBy(s => s.Generation).ToList();
        Directory.CreateDirectory(DirectoryOf(containerId));
        return new ReplicaLogWriter(this, containerId, replica, key, existing);
    }

    internal string PathOf(Guid containerId, string key, int generation) =>
        Path.Combine(DirectoryOf(containerId), string.Create(CultureInfo.InvariantCulture, $"{key}.{generation:D6}{Extension}"));

    /// <summary>
    /// The lines of <paramref name="segments"/> that <paramref name="query"/> selects (its tail, since
    /// and until), merged across replicas in time order.
    /// </summary>
    internal static IEnumerable<LogLine> Read(IReadOnlyList<LogSegment> segments, LogQuery query)
    {
        var replicas = segments
            .GroupBy(s => s.Key, StringComparer.Ordinal)
            .Select(g => (Replica: g.First().Replica, Parts: g.OrderBy(s => s.Generation).ToList()))
            .ToList();
        if (query.Tail is { } tail)
        {
            if (tail == 0)
            {
                return [];
            }
            var lines = replicas.Select(r => TailOf(r.Replica, r.Parts, query, tail));
            var merged = Merge([.. lines]).ToList();
            return merged.Count > tail ? merged[^tail..] : merged;
        }
        return Merge([.. replicas.Select(r => AllOf(r.Replica, r.Parts, query))]);
    }

    /// <summary>Deletes the files of replicas that no longer exist and wrote nothing since <paramref name="cutoff"/>.</summary>
    /// <returns>How many files were deleted.</returns>
    internal int Sweep(Func<Guid, string, bool> exists, DateTimeOffset cutoff)
    {
        if (!Directory.Exists(_root))
        {
            return 0;
        }
        var deleted = 0;
        foreach (var directory in Directory.EnumerateDirectories(_root))
        {
            if (!Guid.TryParse(Path.GetFileName(directory), out var containerId))
            {
                continue;
            }
            foreach (var replica in Segments(containerId).GroupBy(s => s.Key, StringComparer.Ordinal))
            {
                if (exists(containerId, replica.Key))
                {
                    continue;
                }
                var last = replica.Max(s => File.GetLastWriteTimeUtc(s.Path));
                if (new DateTimeOffset(last, TimeSpan.Zero) >= cutoff)
                {
                    continue;
                }
                foreach (var segment in replica)
                {
                    TryDelete(segment.Path);
                    deleted++;
                }
            }
            try
            {
                if (Segments(containerId).Count == 0)
                {
                    TryDelete(Path.Combine(directory, OwnerFile));
                    if (!Directory.EnumerateFileSystemEntries(directory).Any())
                    {
                        Directory.Delete(directory);
                    }
                }
            }
            catch (IOException)
            {
                // A writer created a file meanwhile: the directory is in use again.
            }
        }
        return deleted;
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Gone already or held; the next sweep tries again.
        }
    }

    private static IEnumerable<LogLine> TailOf(int replica, List<LogSegment> parts, LogQuery query, int tail)
    {
        var lines = new List<LogLine>();
        for (var p = parts.Count - 1; p >= 0 && lines.Count < tail; p--)
        {
            foreach (var line in LogFile.ReadBackward(parts[p].Path, parts[p].Length))
            {
                if (query.Until is { } until && line.Time > until)
                {
                    continue;
                }
                if (query.Since is { } since && line.Time < since)
                {
                    // A replica's lines are in time order: everything before is older still.
                    p = -1;
                    break;
                }
                lines.Add(new LogLine(line.Time, replica, line.Stream, line.Text));
                if (lines.Count == tail)
                {
                    break;
                }
            }
        }
        lines.Reverse();
        return lines;
    }

    private static IEnumerable<LogLine> AllOf(int replica, List<LogSegment> parts, LogQuery query)
    {
        foreach (var part in parts)
        {
            foreach (var line in LogFile.ReadForward(part.Path, part.Length))
            {
                if (query.Until is { } until && line.Time > until)
                {
                    yield break;
                }
                if (query.Includes(line.Time))
                {
                    yield return new LogLine(line.Time, replica, line.Stream, line.Text);
                }
            }
        }
    }

    /// <summary>A k-way merge by time; equal times keep replica order, then file order.</summary>
    internal static IEnumerable<LogLine> Merge(IReadOnlyList<IEnumerable<LogLine>> sources)
    {
        var enumerators = sources.Select(s => s.GetEnumerator()).ToList();
        try
        {
            var heads = new PriorityQueue<int, (DateTimeOffset Time, int Replica, int Source)>();
            for (var i = 0; i < enumerators.Count; i++)
            {
                if (enumerators[i].MoveNext())
                {
                    var head = enumerators[i].Current;
                    heads.Enqueue(i, (head.Time, head.Replica, i));
                }
            }
            while (heads.TryDequeue(out var source, out _))
            {
                var current = enumerators[source].Current;
                yield return current;
                if (enumerators[source].MoveNext())
                {
                    var next = enumerators[source].Current;
                    heads.Enqueue(source, (next.Time, next.Replica, source));
                }
            }
        }
        finally
        {
            foreach (var enumerator in enumerators)
            {
                enumerator.Dispose();
            }
        }
    }

    private static (int Replica, string Key, int Generation)? Parse(string fileName)
    {
        // {replica}-{engineId}.{generation}.log
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return null;
        }
        var stem = fileName[..^Extension.Length];
        var dot = stem.LastIndexOf('.');
        var dash = stem.IndexOf('-', StringComparison.Ordinal);
        if (dot <= 0 || dash <= 0 || dash > dot
            || !int.TryParse(stem.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            || !int.TryParse(stem.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var replica))
        {
            return null;
        }
        return (replica, stem[..dot], generation);
    }
}

/// <summary>
/// Appends one engine container's lines to its files. It remembers its last line's time, so that a
/// re-attach from that time can leave out what it already has (the engine repeats lines at that time).
/// </summary>
internal sealed class ReplicaLogWriter : IDisposable
{
    private readonly LogStore _store;
    private readonly Guid _containerId;
    private FileStream _file;
    private int _generation;
    private int _skip;

    public ReplicaLogWriter(LogStore store, Guid containerId, int replica, string key, IReadOnlyList<LogSegment> existing)
    {
        _store = store;
        _containerId = containerId;
        Replica = replica;
        Key = key;
        _generation = existing.Count > 0 ? existing[^1].Generation : 1;
        foreach (var segment in existing.Reverse())
        {
            foreach (var line in LogFile.ReadBackward(segment.Path, segment.Length))
            {
                if (LastTime is null)
                {
                    LastTime = line.Time;
                }
                else if (line.Time != LastTime)
                {
                    break;
                }
                LinesAtLastTime++;
            }
            if (LastTime is not null)
            {
                break;
            }
        }
        _file = Open();
    }

    public int Replica { get; }

    public string Key { get; }

    /// <summary>The time of the last line written, null when there is none yet.</summary>
    public DateTimeOffset? LastTime { get; private set; }

    public int LinesAtLastTime { get; private set; }

    /// <summary>Call before following again from <see cref="LastTime"/>: the first lines at that time are ones already written.</summary>
    public void Resume() => _skip = LinesAtLastTime;

    /// <summary>False for a line written before (an engine replays from the resume time, inclusive).</summary>
    public bool IsNew(ReplicaLogLine line)
    {
        if (_skip > 0 && line.Time == LastTime)
        {
            _skip--;
            return false;
        }
        _skip = 0;
        return true;
    }

    public void Write(ReplicaLogLine line)
    {
        var bytes = LogFile.Encode(line);
        if (_file.Length > 0 && _file.Length + bytes.Length > _store.SegmentBytes)
        {
            Rotate();
        }
        _file.Write(bytes);
        if (line.Time == LastTime)
        {
            LinesAtLastTime++;
        }
        else
        {
            LastTime = line.Time;
            LinesAtLastTime = 1;
        }
    }

    public void Flush() => _file.Flush();

    public void Dispose() => _file.Dispose();

    private void Rotate()
    {
        _file.Dispose();
        LogStore.TryDelete(_store.PathOf(_containerId, Key, _generation - 1));
        _generation++;
        _file = Open();
    }

    private FileStream Open() =>
        new(_store.PathOf(_containerId, Key, _generation), FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, 16 * 1024);
}
