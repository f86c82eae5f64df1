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

    [Fact]
    public void AnInboxRetentionShorterThanTheQueueMessageTimeToLiveIsRejectedNamingTheSetting()
    {
        var options = new MessagingOptions { InboxRetention = TimeSpan.FromDays(1) };

        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.Contains("'Messaging:InboxRetention' must be at least 7.00:00:00", StringComparison.Ordinal));
        Assert.Empty(new MessagingOptions().Validate(new ValidationContext(new MessagingOptions())));
    }

    [Fact]
    public void AJobRetentionShorterThanAnHourIsRejectedNamingTheSetting()
    {
        var options = new Serverless.Core.Jobs.JobOptions { Retention = TimeSpan.FromMinutes(10) };

        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.StartsWith("Jobs:Retention must be at least 01:00:00", StringComparison.Ordinal));
    }
}
