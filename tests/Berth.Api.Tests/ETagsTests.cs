using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Berth.Api.Tests;

public sealed class ETagsTests
{
    [Fact]
    public void SetETag_Container_WritesQuotedVersion()
    {
        var context = new DefaultHttpContext();

        context.Response.SetETag(new Container
        {
            Id = Guid.NewGuid(), UserId = Guid.NewGuid(), EnvironmentId = "local", Hostname = "web", Image = "img",
            State = ContainerState.Running, CreatedAt = default, UpdatedAt = default, Version = 7,
        });

        Assert.Equal("\"7\"", context.Response.Headers.ETag.ToString());
    }

    [Theory]
    [InlineData(null, 3, true)]
    [InlineData("\"3\"", 3, true)]
    [InlineData("\"2\"", 3, false)]
    [InlineData("\"2\", \"3\"", 3, true)]
    [InlineData("*", 3, true)]
    public void EnsureIfMatch_Header_AllowsOnlyTheCurrentVersion(string? header, long current, bool allowed)
    {
        var request = Request(header);

        if (allowed)
        {
            request.EnsureIfMatch(current);
        }
        else
        {
            Assert.Equal(BerthError.PreconditionFailed, Assert.Throws<BerthException>(() => request.EnsureIfMatch(current)).Error);
        }
    }

    [Theory]
    [InlineData("3")]
    [InlineData("W/\"3\"")]
    [InlineData("\"three\"")]
    [InlineData("\"\"")]
    public void ParseIfMatch_Malformed_IsPreconditionFailed(string header)
    {
        var error = Assert.Throws<BerthException>(() => Request(header).ParseIfMatch());

        Assert.Equal(BerthError.PreconditionFailed, error.Error);
    }

    private static HttpRequest Request(string? ifMatch)
    {
        var context = new DefaultHttpContext();
        if (ifMatch is not null)
        {
            context.Request.Headers.IfMatch = ifMatch;
        }
        return context.Request;
    }
}
