using Berth.Core.Containers;
using Berth.Core.Errors;

namespace Berth.Core.Tests.Containers;

public sealed class ContainerValidationTests
{
    private const string DefaultImage = "berth/busybox:latest";

    private static CreateContainerRequest Valid(string hostname = "web") => new() { Hostname = hostname };

    private static Dictionary<string, object?> FieldsOf(BerthException ex)
    {
        Assert.Equal(BerthError.ValidationError, ex.Error);
        return Assert.IsType<Dictionary<string, object?>>(ex.Details!["fields"]);
    }

    private static Dictionary<string, object?> CreateErrors(CreateContainerRequest request) =>
        FieldsOf(Assert.Throws<BerthException>(() => ContainerValidation.ValidateCreate(request, DefaultImage)));

    private static void AssertValid(CreateContainerRequest request) =>
        ContainerValidation.ValidateCreate(request, DefaultImage);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void ValidateCreate_HostnameMissing_IsRequired(string? hostname)
    {
        var fields = CreateErrors(new CreateContainerRequest { Hostname = hostname });

        Assert.Equal(new[] { "is required" }, fields["hostname"]);
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("WEB")]
    [InlineData("-web")]
    [InlineData("web-")]
    [InlineData("my_web")]
    [InlineData("web.example")]
    [InlineData("we b")]
    [InlineData("wéb")]
    public void ValidateCreate_HostnameNotADnsLabel_Rejected(string hostname)
    {
        var fields = CreateErrors(Valid(hostname));

        Assert.True(fields.ContainsKey("hostname"));
    }

    [Fact]
    public void ValidateCreate_Hostname64Characters_Rejected()
    {
        var fields = CreateErrors(Valid(new string('a', 64)));

        Assert.True(fields.ContainsKey("hostname"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("web-1")]
    [InlineData("my--app")]
    [InlineData("123")]
    public void ValidateCreate_HostnameIsADnsLabel_Accepted(string hostname)
    {
        AssertValid(Valid(hostname));
    }

    [Fact]
    public void ValidateCreate_Hostname63Characters_Accepted()
    {
        AssertValid(Valid(new string('a', 62) + "1"));
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("nginx:1.27")]
    [InlineData("library/nginx:latest")]
    [InlineData("registry:5000/team/app:v1")]
    [InlineData("registry.example.com/team/app")]
    [InlineData("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("busybox:1.36@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("my_app-x.y")]
    public void ValidateCreate_ValidImageReference_Accepted(string image)
    {
        Assert.True(ContainerValidation.IsImageReference(image));
        AssertValid(Valid() with { Image = image });
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a b")]
    [InlineData(":tag")]
    [InlineData("")]
    [InlineData("nginx:")]
    [InlineData("nginx@sha256:abc")]
    [InlineData("/nginx")]
    [InlineData("nginx/")]
    public void ValidateCreate_InvalidImageReference_Rejected(string image)
    {
        var fields = CreateErrors(Valid() with { Image = image });

        Assert.True(fields.ContainsKey("image"));
    }

    [Fact]
    public void ValidateCreate_ImageLongerThan255_Rejected()
    {
        Assert.False(ContainerValidation.IsImageReference(new string('a', 256)));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(64)]
    public void ValidateCreate_CpuInBounds_Accepted(double cpu)
    {
        AssertValid(Valid() with { CpuCores = cpu });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.09)]
    [InlineData(64.01)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ValidateCreate_CpuOutOfBounds_RejectedAsCpuCores(double cpu)
    {
        Assert.True(CreateErrors(Valid() with { CpuCores = cpu }).ContainsKey("cpu_cores"));
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(262_144, true)]
    [InlineData(15, false)]
    [InlineData(262_145, false)]
    [InlineData(0, false)]
    public void ValidateCreate_MemoryBounds_AsDocumented(int memoryMb, bool valid)
    {
        var request = Valid() with { MemoryMb = memoryMb };
        if (valid)
        {
            AssertValid(request);
        }
        else
        {
            Assert.True(CreateErrors(request).ContainsKey("memory_mb"));
        }
    }

    [Theory]
    [InlineData(18, true)]
    [InlineData(32, true)]
    [InlineData(17, false)]
    [InlineData(33, false)]
    public void ValidateCreate_DiskBounds_18To32(int diskGb, bool valid)
    {
        var request = Valid() with { DiskGb = diskGb };
        if (valid)
        {
            AssertValid(request);
        }
        else
        {
            Assert.True(CreateErrors(request).ContainsKey("disk_gb"));
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(20, true)]
    [InlineData(0, false)]
    [InlineData(21, false)]
    [InlineData(-1, false)]
    public void ValidateCreate_ReplicaBounds_1To20(int replicas, bool valid)
    {
        var request = Valid() with { Replicas = replicas };
        if (valid)
        {
            AssertValid(request);
        }
        else
        {
            Assert.True(CreateErrors(request).ContainsKey("replicas"));
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(8080, true)]
    [InlineData(65535, true)]
    [InlineData(0, false)]
    [InlineData(65536, false)]
    [InlineData(-80, false)]
    public void ValidateCreate_PortBounds_1To65535(int port, bool valid)
    {
        var request = Valid() with { Port = port };
        if (valid)
        {
            AssertValid(request);
        }
        else
        {
            Assert.True(CreateErrors(request).ContainsKey("port"));
        }
    }

    [Theory]
    [InlineData("1ABC")]
    [InlineData("A-B")]
    [InlineData("A B")]
    [InlineData("")]
    [InlineData("A=B")]
    [InlineData("ÄPFEL")]
    public void ValidateCreate_EnvKeyWithInvalidCharacters_RejectedByIndex(string key)
    {
        var fields = CreateErrors(Valid() with { Env = [new EnvVar("OK", "1"), new EnvVar(key, "x")] });

        Assert.Equal(["env[1].key"], fields.Keys);
    }

    [Theory]
    [InlineData("_PRIVATE")]
    [InlineData("a1")]
    [InlineData("PATH")]
    public void ValidateCreate_EnvKeyValid_Accepted(string key)
    {
        AssertValid(Valid() with { Env = [new EnvVar(key, "")] });
    }

    [Fact]
    public void ValidateCreate_DuplicateEnvKey_NamesTheRepeat()
    {
        var fields = CreateErrors(Valid() with { Env = [new EnvVar("A", "1"), new EnvVar("B", "2"), new EnvVar("A", "3")] });

        var problems = Assert.IsType<string[]>(fields["env[2].key"]);
        Assert.Contains("'A' appears more than once", problems);
        Assert.Single(fields);
    }

    [Fact]
    public void ValidateCreate_EnvKeysDifferOnlyInCase_AreDistinct()
    {
        AssertValid(Valid() with { Env = [new EnvVar("path", "1"), new EnvVar("PATH", "2")] });
    }

    [Fact]
    public void ValidateCreate_EnvNullValue_ValueRequired()
    {
        var fields = CreateErrors(Valid() with { Env = [new EnvVar("A", null!)] });

        Assert.Equal(new[] { "is required" }, fields["env[0].value"]);
    }

    [Fact]
    public void ValidateCreate_EnvNullEntry_ReportsKeyAndValue()
    {
        var fields = CreateErrors(Valid() with { Env = [null!] });

        Assert.True(fields.ContainsKey("env[0].key"));
        Assert.True(fields.ContainsKey("env[0].value"));
    }

    [Fact]
    public void ValidateCreate_EnvValueWithNul_Rejected()
    {
        Assert.True(CreateErrors(Valid() with { Env = [new EnvVar("A", "x\0y")] }).ContainsKey("env[0].value"));
    }

    [Fact]
    public void ValidateCreate_EnvValueTooLong_Rejected()
    {
        var value = new string('x', ContainerValidation.MaxEnvValueLength + 1);

        Assert.True(CreateErrors(Valid() with { Env = [new EnvVar("A", value)] }).ContainsKey("env[0].value"));
    }

    [Fact]
    public void ValidateCreate_TooManyEnvVars_RejectedAsEnv()
    {
        var env = Enumerable.Range(0, ContainerValidation.MaxEnvVars + 1).Select(i => new EnvVar($"V{i}", "x")).ToList();

        Assert.Equal(["env"], CreateErrors(Valid() with { Env = env }).Keys);
    }

    [Fact]
    public void ValidateCreate_CommandEmpty_Rejected()
    {
        Assert.True(CreateErrors(Valid() with { Command = [] }).ContainsKey("command"));
    }

    [Fact]
    public void ValidateCreate_CommandTooManyParts_Rejected()
    {
        var command = Enumerable.Repeat("x", ContainerValidation.MaxCommandParts + 1).ToList();

        Assert.True(CreateErrors(Valid() with { Command = command }).ContainsKey("command"));
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData(null)]
    public void ValidateCreate_CommandPartNullOrWithNul_Rejected(string? part)
    {
        Assert.True(CreateErrors(Valid() with { Command = ["sh", part!] }).ContainsKey("command"));
    }

    [Fact]
    public void ValidateCreate_CommandOrdinary_Accepted()
    {
        var valid = ContainerValidation.ValidateCreate(Valid() with { Command = ["sh", "-c", "echo hi; sleep 1"] }, DefaultImage);

        Assert.Equal(["sh", "-c", "echo hi; sleep 1"], valid.Command!);
    }

    [Fact]
    public void ValidateCreate_SeveralBadFields_OneErrorNamingEach()
    {
        var request = new CreateContainerRequest
        {
            Hostname = "Bad_Name",
            Image = "UPPER",
            CpuCores = 0,
            MemoryMb = 1,
            DiskGb = 99,
            Replicas = 0,
            Port = 0,
            Command = [],
            Env = [new EnvVar("1X", "v")],
        };

        var ex = Assert.Throws<BerthException>(() => ContainerValidation.ValidateCreate(request, DefaultImage));

        var fields = FieldsOf(ex);
        Assert.Equal(
            new[] { "command", "cpu_cores", "disk_gb", "env[0].key", "hostname", "image", "memory_mb", "port", "replicas" },
            fields.Keys.Order(StringComparer.Ordinal));
        foreach (var field in fields.Keys)
        {
            Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidateCreate_OnlyHostname_FillsDefaults()
    {
        var valid = ContainerValidation.ValidateCreate(Valid(), DefaultImage);

        Assert.Equal("web", valid.Hostname);
        Assert.Equal(DefaultImage, valid.Image);
        Assert.Empty(valid.Env!);
        Assert.Equal(1, valid.Replicas);
        Assert.Equal(1, valid.CpuCores);
        Assert.Equal(512, valid.MemoryMb);
        Assert.Equal(18, valid.DiskGb);
        Assert.Null(valid.Port);
        Assert.Null(valid.Command);
    }

    [Fact]
    public void ValidateCreate_ValuesGiven_KeptOverDefaults()
    {
        var request = new CreateContainerRequest
        {
            Hostname = "api",
            Image = "nginx:1.27",
            Env = [new EnvVar("A", "1")],
            Port = 80,
            Replicas = 3,
            CpuCores = 0.5,
            MemoryMb = 256,
            DiskGb = 20,
        };

        var valid = ContainerValidation.ValidateCreate(request, DefaultImage);

        // Lists are filled in with empty ones; every value given stays as it was.
        Assert.Equal(request with { Domains = valid.Domains, Volumes = valid.Volumes }, valid);
        Assert.Empty(valid.Domains!);
        Assert.Empty(valid.Volumes!);
    }

    [Fact]
    public void ValidateUpdate_AllNull_Accepted()
    {
        ContainerValidation.ValidateUpdate(new UpdateContainerRequest());
    }

    [Fact]
    public void ValidateUpdate_BadFields_OneErrorNamingEach()
    {
        var ex = Assert.Throws<BerthException>(() =>
            ContainerValidation.ValidateUpdate(new UpdateContainerRequest { Image = "a b", MemoryMb = 1, Replicas = 99 }));

        Assert.Equal(new[] { "image", "memory_mb", "replicas" }, FieldsOf(ex).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ValidateUpdate_EmptyImage_Rejected()
    {
        var ex = Assert.Throws<BerthException>(() => ContainerValidation.ValidateUpdate(new UpdateContainerRequest { Image = "" }));

        Assert.True(FieldsOf(ex).ContainsKey("image"));
    }
}
