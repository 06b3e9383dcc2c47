// Ctrl-C while a run waits for another run's alias lock (the local lock files).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { lockDirectory, lockName } from '../../src/engine/store.js'
import { ACCOUNT, FakeKms, key, REGION } from '../helpers/fakeKms.js'
import { testContext } from '../helpers/testContext.js'

describe('waiting for the local alias lock', () => {
  // A defect fixed: the wait ignored the run's signal and lasted KMS_ALIAS_LOCK_WAIT (60 s here)
  // before the run could exit; this test failed (timed out) before the fix.
  it('Ctrl-C ends the wait for a lock another live run holds: exit 130, nothing sent', async () => {
    const a = key()
    const b = key()
    const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId } })
    const ctx = testContext({ kms, env: { KMS_ALIAS_LOCK_WAIT: '60' } })
    // Another run, alive (this very process), holds alias/app's lock.
    const directory = lockDirectory(ctx.env, ctx.platform)
    mkdirSync(directory, { recursive: true, mode: 0o700 })
    writeFileSync(join(directory, `${lockName({ alias: 'alias/app', region: REGION, account: ACCOUNT })}.lock`), JSON.stringify({ pid: process.pid, token: 'other', created: Date.now() }))
    const running = main(['update', 'alias/app', '--to', b.keyId, '--json'], ctx)
    // The run is waiting on the lock once its plan is done; Ctrl-C then.
    await new Promise((resolve) => setTimeout(resolve, 300))
    ctx.abort()
    expect(await running).toBe(130)
    expect(JSON.parse(ctx.stdout())).toMatchObject({ changed: false, exitCode: 130, error: { code: 'INTERRUPTED', message: 'interrupted' } })
    expect(kms.mutations()).toEqual([])
  })
})
