using Serverless.Testing;
using Xunit;

// One Redis and one Azurite for the whole run of this test assembly.
[assembly: AssemblyFixture(typeof(ServicesFixture))]
