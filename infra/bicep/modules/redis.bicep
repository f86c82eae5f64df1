// Azure Managed Redis (redisEnterprise): Azure Cache for Redis (Microsoft.Cache/redis) is on its retirement path.
param name string
param location string
param tags object

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Balanced_B0'
  }
  properties: {
    minimumTlsVersion: '1.2'
    // The Flex app runs without VNet integration here, so it reaches Redis over its public (TLS) endpoint.
    publicNetworkAccess: 'Enabled'
    // A replica to fail over to: a node loss costs a reconnect, not the data (writes not yet replicated excepted).
    highAvailability: 'Enabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  // The service only accepts one database per cluster, and it must be called 'default'.
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    // EnterpriseCluster hides sharding behind one endpoint, so a plain StackExchange.Redis connection string works.
    clusteringPolicy: 'EnterpriseCluster'
    // Entra ID only, like storage and Service Bus: the app signs in with its managed identity's token (an access
    // policy assignment in roles.bicep), so there is no key to leak or rotate.
    accessKeysAuthentication: 'Disabled'
    // Sessions, lock fences, dispatch pools and the catalog version live only in Redis: an append-only file written
    // every second brings them back after a restart of both primary and replica (at most ~1 s of writes lost).
    persistence: {
      aofEnabled: true
      aofFrequency: '1s'
      rdbEnabled: false
    }
  }
}

output name string = cluster.name
output hostName string = cluster.properties.hostName
output port int = database.properties.port!
