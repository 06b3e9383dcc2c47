import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startMoto } from './support/moto.js'

declare module 'vitest' {
  export interface ProvidedContext {
    motoUrl: string
  }
}

/** One moto_server for the whole run; a missing emulator fails the run, never skips. */
export default async function setup(project: TestProject) {
  const moto = await startMoto()
  project.provide('motoUrl', moto.url)
  return () => moto.stop()
}
