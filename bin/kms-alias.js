#!/usr/bin/env node
import module from 'node:module'

// Node >= 22.1 can keep the compiled code of dist/ between runs (in the OS temp directory); it
// must be on before the bundle loads, hence the dynamic import below. Node 20 has no such cache.
module.enableCompileCache?.()

const { createContext, homelessProfileEnv, main } = await import('../dist/cli.js')
// Before any SDK code runs: a user with no home directory gets no profile files instead of a crash.
Object.assign(process.env, homelessProfileEnv(process.env))
process.exitCode = await main(process.argv.slice(2), createContext())
