using Berth.Core.Accounts;
using Berth.Core.Commands;
using Berth.Core.Containers;
using Berth.Data.Rows;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Berth.Data;

internal sealed class BerthDbContext(DbContextOptions<BerthDbContext> options) : DbContext(options)
{
    /// <summary>Partial indexes over live containers only; a deleted row frees its hostname.</summary>
    internal const string LiveFilter = "\"DeletedAt\" IS NULL";

    public DbSet<ContainerRow> Containers => Set<ContainerRow>();
    public DbSet<TransitionRow> Transitions => Set<TransitionRow>();
    public DbSet<UserRow> Users => Set<UserRow>();
    public DbSet<TokenRow> Tokens => Set<TokenRow>();
    public DbSet<PasswordAccountRow> PasswordAccounts => Set<PasswordAccountRow>();
    public DbSet<SessionRow> Sessions => Set<SessionRow>();
    public DbSet<RefreshTokenRow> RefreshTokens => Set<RefreshTokenRow>();
    public DbSet<IdempotencyRow> IdempotencyRecords => Set<IdempotencyRow>();
    public DbSet<CommandRow> Commands => Set<CommandRow>();
    public DbSet<DeploymentRow> Deployments => Set<DeploymentRow>();
    public DbSet<ProjectRow> Projects => Set<ProjectRow>();
    public DbSet<ProjectMemberRow> ProjectMembers => Set<ProjectMemberRow>();
    public DbSet<ProjectRoleRow> ProjectRoles => Set<ProjectRoleRow>();
    public DbSet<AuditRow> AuditLog => Set<AuditRow>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type: UTC ticks compare and sort correctly as plain integers.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();

        // Enum names, not ordinals: readable in the file and safe when members are reordered.
        configurationBuilder.Properties<ContainerState>().HaveConversion<string>();
        configurationBuilder.Properties<ContainerState?>().HaveConversion<string>();
        configurationBuilder.Properties<ContainerOperation?>().HaveConversion<string>();
        configurationBuilder.Properties<UserRole>().HaveConversion<string>();
        configurationBuilder.Properties<CommandStatus>().HaveConversion<string>();
        configurationBuilder.Properties<Berth.Core.Deployments.DeploymentStatus>().HaveConversion<string>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ContainerRow>(e =>
        {
            e.ToTable("Containers");
            e.HasKey(c => c.Id);
            e.Property(c => c.Version).IsConcurrencyToken();
            // A token too, so that an update never revives or rewrites a deleted row.
            e.Property(c => c.DeletedAt).IsConcurrencyToken();
            e.HasIndex(c => new { c.UserId, c.Hostname }).IsUnique().HasFilter(LiveFilter);
            e.HasIndex(c => c.Hostname).HasFilter(LiveFilter);
            e.HasIndex(c => new { c.CreatedAt, c.Id }).HasFilter(LiveFilter);
            e.HasIndex(c => new { c.UserId, c.CreatedAt, c.Id }).HasFilter(LiveFilter);
            e.HasIndex(c => new { c.ProjectId, c.CreatedAt, c.Id }).HasFilter(LiveFilter);
        });

        modelBuilder.Entity<TransitionRow>(e =>
        {
            e.ToTable("StatusTransitions");
            e.HasKey(t => t.Seq);
            e.Property(t => t.Seq).ValueGeneratedOnAdd();
            e.HasIndex(t => t.Id).IsUnique();
            e.HasIndex(t => new { t.ContainerId, t.TransitionTime });
            e.HasOne<ContainerRow>().WithMany().HasForeignKey(t => t.ContainerId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<UserRow>(e =>
        {
            e.ToTable("Users");
            e.HasKey(u => u.Id);
            e.HasIndex(u => u.NormalizedEmail).IsUnique();
            e.HasIndex(u => new { u.CreatedAt, u.Id });
        });

        modelBuilder.Entity<TokenRow>(e =>
        {
            e.ToTable("AccessTokens");
            e.HasKey(t => t.Id);
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => t.UserId);
            e.HasOne<UserRow>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PasswordAccountRow>(e =>
        {
            e.ToTable("PasswordAccounts");
            e.HasKey(p => p.UserId);
            e.HasOne<UserRow>().WithOne().HasForeignKey<PasswordAccountRow>(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SessionRow>(e =>
        {
            e.ToTable("Sessions");
            e.HasKey(s => s.Id);
            e.HasIndex(s => s.SecretHash).IsUnique();
            e.HasIndex(s => s.UserId);
            e.HasOne<UserRow>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RefreshTokenRow>(e =>
        {
            e.ToTable("RefreshTokens");
            e.HasKey(t => t.Id);
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => t.FamilyId);
            e.HasIndex(t => new { t.UserId, t.ExpiresAt });
            e.HasOne<UserRow>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IdempotencyRow>(e =>
        {
            e.ToTable("IdempotencyRecords");
            e.HasKey(r => new { r.UserId, r.Key });
            e.HasIndex(r => r.CreatedAt);
        });

        modelBuilder.Entity<CommandRow>(e =>
        {
            e.ToTable("Commands");
            e.HasKey(c => c.Id);
            e.HasIndex(c => new { c.ContainerId, c.CreatedAt, c.Id });
            e.HasIndex(c => new { c.Status, c.CreatedAt });
            e.HasOne<ContainerRow>().WithMany().HasForeignKey(c => c.ContainerId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<DeploymentRow>(e =>
        {
            e.ToTable("Deployments");
            e.HasKey(d => d.Id);
            e.HasIndex(d => new { d.ContainerId, d.TriggeredAt, d.Id });
            e.HasIndex(d => d.Status);
            e.HasOne<ContainerRow>().WithMany().HasForeignKey(d => d.ContainerId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<ProjectRow>(e =>
        {
            e.ToTable("Projects");
            e.HasKey(p => p.Id);
            e.HasIndex(p => new { p.CreatedAt, p.Id });
        });

        modelBuilder.Entity<ProjectMemberRow>(e =>
        {
            e.ToTable("ProjectMembers");
            e.HasKey(m => new { m.ProjectId, m.UserId });
            e.HasIndex(m => m.UserId);
            e.HasOne<ProjectRow>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<UserRow>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ProjectRoleRow>(e =>
        {
            e.ToTable("ProjectRoles");
            e.HasKey(r => new { r.ProjectId, r.Name });
            e.HasOne<ProjectRow>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });

        // The OAuth server's applications, authorizations, scopes and tokens (OpenIddict's own entities and tables).
        modelBuilder.UseOpenIddict();

        // No foreign keys: the log outlives the users and tokens it names.
        modelBuilder.Entity<AuditRow>(e =>
        {
            e.ToTable("AuditLog");
            e.HasKey(a => a.Id);
            e.HasIndex(a => new { a.Time, a.Id });
            e.HasIndex(a => new { a.UserId, a.Time });
            e.HasIndex(a => new { a.Denied, a.Time });
        });
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}
