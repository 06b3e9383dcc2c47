import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// Test files that patch what every file would share in one module graph (aws-sdk-client-mock on an
// SDK client class, vi.mock, fake timers) or process-wide state (process.env) run isolated, each in
// a fresh graph. Every other file shares its worker's graph with the files before it: importing the
// SDK and the sources once per worker, not once per file, is most of the suite's CPU time.
const PATCHES_SHARED_STATE = /\bmockClient\(|\bvi\.(mock|doMock|useFakeTimers|stubEnv|stubGlobal)\(|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]/
const testFiles = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', f))
const isolated = testFiles.filter((f) => PATCHES_SHARED_STATE.test(readFileSync(f, 'utf8')))

export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    // Most test time is spent waiting on moto_server and on spawned CLIs, not on this process's
    // CPU: vitest's default (one worker fewer than the cores, so one worker on a 2-core machine)
    // leaves the cores idle. Files share one moto_server and use aliases of their own.
    maxWorkers: 4,
    // Every test runs without real AWS settings: no instance metadata, no profile, no Region.
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: isolated, isolate: false } },
      { extends: true, test: { name: 'isolated', include: isolated } },
    ],
  },
})
