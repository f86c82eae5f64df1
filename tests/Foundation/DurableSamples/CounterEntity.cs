using Microsoft.DurableTask.Entities;

namespace Serverless.Tests.Foundation.DurableSamples;

public sealed class CounterEntity : TaskEntity<int>
{
    public int Add(int amount) => State += amount;

    public int Get() => State;
}
