using 'main.bicep'

// azd sets AZURE_ENV_NAME; the fallback keeps `bicep build-params` working without it.
param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param durableTaskHubName = 'serverless'
