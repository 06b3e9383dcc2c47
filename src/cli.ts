// The bundle's one entry point: bin/kms-alias.js imports this file only, after it has enabled
// Node's compile cache, so everything below is loaded (and cached) from one file.
export { createContext } from './cli/context.js'
export { main } from './cli/main.js'
export { homelessProfileEnv } from './kms/profiles.js'
