// Data-plane roles for the app's identity. Storage, Service Bus and Redis all have local (key) auth
// switched off, so without these the app cannot reach any of them.

// Names, not runtime IDs: they are known when the deployment starts, which keeps role assignment
// names deterministic and What-If predictions exact.
param identityName string
param storageAccountName string
param serviceBusNamespaceName string
param redisName string

// Built-in role definition IDs are the same in every tenant.
var storageRoles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner: host leases + deployment package
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor: Durable Functions queues
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor: Durable Functions history
}
var serviceBusRoles = {
  dataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39' // Azure Service Bus Data Sender
  dataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Receiver
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource redisDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' existing = {
  name: '${redisName}/default'
}

// guid() of scope + identity + role keeps names stable, so redeployments update instead of duplicating.
resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(storageRoles): {
    name: guid(storage.id, identity.id, role.value)
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      // ServicePrincipal skips the Entra lookup that fails while a new identity is still replicating.
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]

resource serviceBusAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(serviceBusRoles): {
    name: guid(serviceBus.id, identity.id, role.value)
    scope: serviceBus
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]

// Redis has no Azure RBAC data roles: a data access policy assignment makes the identity's object id a Redis user
// that signs in with its Entra ID token. 'default' is the only policy the service offers (full data access).
resource redisAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = {
  parent: redisDatabase
  // Letters and digits only; derived from the identity's resource id, so redeployments update the same assignment.
  name: 'app${uniqueString(identity.id)}'
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: identity.properties.principalId
    }
  }
}
