// Service Bus for order messages. Standard rather than Basic: Basic lacks topics, sessions and duplicate detection.
param name string
param location string
param tags object
param queueName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // Entra ID only, like storage: the app authenticates with its managed identity.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
  }
}

output name string = namespace.name
output queueName string = queue.name
// The endpoint carries the cloud-specific DNS suffix, so derive the host from it instead of hard-coding one.
output fullyQualifiedNamespace string = parseUri(namespace.properties.serviceBusEndpoint).host
