using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Berth.Data;

/// <summary>Lets <c>dotnet ef</c> build the model without a host; it never opens the file it names.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<BerthDbContext>
{
    public BerthDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<BerthDbContext>();
        SqliteSetup.Configure(options, Path.Combine(Path.GetTempPath(), "berth-design-time.db"));
        return new BerthDbContext(options.Options);
    }
}
