using System.ComponentModel.DataAnnotations;
using Serverless.Core.Messaging;
using Xunit;

namespace Serverless.Tests.Messaging;

public sealed class MessagingOptionsTests
{
    [Fact]
    public void AnOutOfRangeConsumerSettingIsRejectedNamingTheSetting()
    {
        var options = new MessagingOptions
        {
            Consumers = { ["catalog-indexer"] = new ConsumerOptions { MaxAttempts = 0, BackoffBase = TimeSpan.FromMinutes(10), ClaimLease = TimeSpan.FromSeconds(1) } },
        };

        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.Contains("'Messaging:Consumers:catalog-indexer:MaxAttempts'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("'Messaging:Consumers:catalog-indexer:BackoffBase'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("'Messaging:Consumers:catalog-indexer:ClaimLease'", StringComparison.Ordinal));
    }

    [Fact]
    public void AConsumerWithoutItsOwnSectionUsesTheDefaults()
    {
        var options = new MessagingOptions { Defaults = new ConsumerOptions { MaxAttempts = 9 } };

        Assert.Equal(9, options.For("dispatch").MaxAttempts);
        Assert.Empty(options.Validate(new ValidationContext(options)));
    }
}
