using Berth.Core.Errors;
using Berth.Core.Logs;

namespace Berth.Core.Tests.Logs;

public sealed class LogQueryTests
{
    [Fact]
    public void Parse_Nothing_IsTheLast100LinesWithoutFollow()
    {
        Assert.Equal(LogQuery.Default, LogQuery.Parse(null, null, null, null, null));
        Assert.Equal(LogQuery.Default, LogQuery.Parse("", "", "", "", ""));
    }

    [Fact]
    public void Parse_GoodValues_AreParsed()
    {
        var query = LogQuery.Parse("all", "2025-01-31T12:00:00Z", "1738328400.5", "true", "1");

        Assert.Null(query.Tail);
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero), query.Since);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1738328400500), query.Until);
        Assert.True(query.Follow);
        Assert.True(query.Timestamps);
        Assert.Equal(0, LogQuery.Parse("0", null, null, null, null).Tail);
        Assert.Equal(100_000, LogQuery.Parse("100000", null, null, null, null).Tail);
    }

    [Theory]
    [InlineData("2025-01-31T12:00:00.123456789Z")]
    [InlineData("2025-01-31T14:00:00+02:00")]
    [InlineData("2025-01-31T14:00:00 02:00")]
    [InlineData("1738324800")]
    public void TryParseTime_Rfc3339OrUnixSeconds_IsAccepted(string raw)
    {
        Assert.True(LogQuery.TryParseTime(raw, out var time));
        Assert.Equal(new DateTime(2025, 1, 31, 12, 0, 0, DateTimeKind.Utc), time.UtcDateTime.AddTicks(-(time.UtcDateTime.Ticks % TimeSpan.TicksPerSecond)));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2025-01-31")]
    [InlineData("31/01/2025 12:00:00")]
    [InlineData("-5")]
    [InlineData("99999999999999")]
    public void TryParseTime_Other_IsRefused(string raw) => Assert.False(LogQuery.TryParseTime(raw, out _));

    [Fact]
    public void Parse_BadValues_NameEveryField()
    {
        var error = Assert.Throws<BerthException>(() => LogQuery.Parse("-1", "x", "y", "maybe", "2"));

        Assert.Equal(BerthError.ValidationError, error.Error);
        var fields = (IReadOnlyDictionary<string, object?>)error.Details!["fields"]!;
        Assert.Equal(["follow", "since", "tail", "timestamps", "until"], fields.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("100001")]
    [InlineData("1.5")]
    [InlineData("ten")]
    public void Parse_BadTail_IsRefused(string tail) =>
        Assert.Throws<BerthException>(() => LogQuery.Parse(tail, null, null, null, null));

    [Fact]
    public void Parse_SinceAfterUntil_IsRefused()
    {
        var error = Assert.Throws<BerthException>(() => LogQuery.Parse(null, "2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z", null, null));
        Assert.Contains("until", ((IReadOnlyDictionary<string, object?>)error.Details!["fields"]!).Keys);
    }
}
