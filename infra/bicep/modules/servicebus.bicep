// Service Bus for order messages. Standard rather than Basic: Basic lacks topics, sessions and duplicate detection.
param name string
param location string
param tags object
param queueName string
@description('Topic for job (and later catalog) events.')
param eventsTopicName string = 'events'

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

// Job events: MessageId is the event id, so duplicate detection drops a repeated publish within the window.
resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: eventsTopicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    defaultMessageTimeToLive: 'P14D'
  }
}

// SessionId is the job's ordering key: a session-enabled subscription hands one key's events to one receiver in order.
resource eventsSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: eventsTopic
  name: 'downstream'
  properties: {
    requiresSession: true
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
  }
}

output name string = namespace.name
output queueName string = queue.name
// The endpoint carries the cloud-specific DNS suffix, so derive the host from it instead of hard-coding one.
output fullyQualifiedNamespace string = parseUri(namespace.properties.serviceBusEndpoint).host
output eventsTopicName string = eventsTopic.name
