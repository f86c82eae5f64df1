// The Function App on Flex Consumption: Linux only, runtime and scale set in functionAppConfig
// rather than app settings (FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION are rejected there).
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param identityPrincipalId string
param storageAccountName string
param deploymentContainerUrl string
param applicationInsightsConnectionString string
param serviceBusFullyQualifiedNamespace string
@description('Service Bus topic the app publishes job events to.')
param serviceBusEventsTopicName string
param durableTaskHubName string
param maximumInstanceCount int
param instanceMemoryMB int
// host:port of Redis; the app settings add TLS, and the identity signs in instead of a password.
param redisEndpoint string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Flex Consumption is Linux-only; reserved marks the plan as Linux.
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  // azd finds the deployment target by this tag.
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          // Shared keys are off on the account, so the platform must fetch the package as the identity.
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    // Identity-based host storage: accountName + credential + clientId replace a connection string,
    // and clientId picks the user-assigned identity over any system-assigned one.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    // Same identity for Service Bus (local auth is off there too); the SDK reads the __ suffixed settings.
    ServiceBus__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBus__credential: 'managedidentity'
    ServiceBus__clientId: identityClientId
    DurableTaskHubName: durableTaskHubName
    // Entra ID sign-in to Redis (access keys are off): the token of the identity named by ClientId is the password,
    // its object id (PrincipalId) the user name. No secret in any setting.
    Redis__ConnectionString: '${redisEndpoint},ssl=True,abortConnect=False'
    Redis__ClientId: identityClientId
    Redis__PrincipalId: identityPrincipalId
    // Queue names and timer schedules that triggers read through %Section:Name% bindings (the host maps __ to :).
    Search__ChangeQueue: 'catalog-changes'
    Search__WarmupSchedule: '0 * * * * *'
    Search__SnapshotSchedule: '0 */5 * * * *'
    Dispatch__ProbeSchedule: '*/30 * * * * *'
    Transactions__RecoverySchedule: '0 */1 * * * *'
    History__PurgeSchedule: '0 0 * * * *'
    Messaging__OutboxRelaySchedule: '*/30 * * * * *'
    History__Retention: '7.00:00:00'
    Jobs__Queue: 'jobs-run'
    Jobs__SweepSchedule: '0 */1 * * * *'
    // Job events go to this topic with the app's identity (Azure Service Bus Data Sender, roles.bicep).
    Messaging__ServiceBus__FullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    Messaging__ServiceBus__ClientId: identityClientId
    Messaging__ServiceBus__Topic: serviceBusEventsTopicName
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
