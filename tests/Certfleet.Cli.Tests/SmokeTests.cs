namespace Certfleet.Cli.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void The_cli_assembly_is_named_after_its_project()
    {
        Assert.Equal("Certfleet.Cli", typeof(Program).Assembly.GetName().Name);
    }
}
