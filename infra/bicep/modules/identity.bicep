// One user-assigned identity for the app: it exists before the app does, so role assignments
// can be granted up front and the app never starts without access to its storage.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
// Entra ID object id: the identity's Redis user name (Redis__PrincipalId).
output principalId string = identity.properties.principalId
