// Serverless app: a .NET isolated Function App on Flex Consumption with identity-only access to
// Storage, Service Bus and Azure Managed Redis (persistent), and workspace-based Application Insights.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('azd environment name; it seeds resource names so each environment gets its own set.')
param environmentName string

@description('Region for every resource; defaults to the resource group\'s.')
param location string = resourceGroup().location

// Durable Functions task hub names: 3-45 letters/digits, starting with a letter.
@minLength(3)
@maxLength(45)
param durableTaskHubName string = 'serverless'

@description('Upper bound for Flex Consumption scale-out (cost guard).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

// Only these sizes exist on Flex; rejecting others here beats a failed deployment.
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// Stable per subscription/group/region/environment, so redeploying updates rather than duplicates.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, location, environmentName))
var tags = { 'azd-env-name': environmentName }
// Names live here, not in module outputs, so modules that look resources up by name get values
// known at deployment start (deterministic role assignment names, exact What-If).
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  serviceBus: 'sb-${resourceToken}'
  redis: 'redis-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}

// Explicit deployment names keep the compiled template on classic ARM JSON (unnamed modules switch
// it to languageVersion 2.0) and make the nested deployments easy to find in the portal.
module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    // One container per app, so several apps could share the account without clobbering packages.
    deploymentContainerName: 'app-package-${take(names.functionApp, 32)}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    queueName: 'orders'
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: names.redis
    location: location
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    redisName: names.redis
  }
  // Passing plain names drops the implicit ordering, so state it.
  dependsOn: [
    identity
    storage
    serviceBus
    redis
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: names.functionApp
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    serviceBusEventsTopicName: serviceBus.outputs.eventsTopicName
    durableTaskHubName: durableTaskHubName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    // No password: access keys are off and the app signs in with its identity's Entra ID token.
    redisEndpoint: '${redis.outputs.hostName}:${redis.outputs.port}'
  }
  // The host starts as soon as the app exists; without its storage roles it fails to boot and
  // the package download is denied (and without its Redis access policy every sign-in is refused).
  dependsOn: [
    roles
  ]
}

output AZURE_LOCATION string = location
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_DEFAULT_HOSTNAME string = functionApp.outputs.defaultHostName
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output REDIS_HOST_NAME string = redis.outputs.hostName
