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
    // The app authenticates with the access key (see Redis__ConnectionString).
    accessKeysAuthentication: 'Enabled'
  }
}

output name string = cluster.name
output hostName string = cluster.properties.hostName
output port int = database.properties.port!
