import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startMoto } from './support/moto.js'

declare module 'vitest' {
  export interface ProvidedContext {
    motoUrl: string
  }
}

/**
 * One moto_server for the whole run; a missing emulator fails the run, never skips. Every
 * temporary file of the run (journals, homes, apply files, the CLIs the tests spawn) goes under one
 * directory that is removed at the end: the workers and their children inherit TMPDIR, and
 * os.tmpdir() reads it on each call. Before, each run left thousands of directories in /tmp.
 */
export default async function setup(project: TestProject) {
  const runTmp = mkdtempSync(join(tmpdir(), 'kms-alias-test-run-'))
  // As /tmp itself: the homeless test runs the CLI as another uid, which must reach its folder here.
  chmodSync(runTmp, 0o1777)
  const outerTmp = process.env.TMPDIR
  process.env.TMPDIR = runTmp
  const moto = await startMoto()
  project.provide('motoUrl', moto.url)
  return async () => {
    await moto.stop()
    if (outerTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = outerTmp
    rmSync(runTmp, { recursive: true, force: true })
  }
}
