import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
})
