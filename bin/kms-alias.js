#!/usr/bin/env node
import { createContext } from '../dist/context.js'
import { main } from '../dist/main.js'

process.exitCode = await main(process.argv.slice(2), createContext())
