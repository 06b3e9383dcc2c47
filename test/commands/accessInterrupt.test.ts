// Issue 18, defect 3: a stop signal during the access reads must stop the run like the first
// Ctrl-C does, not turn into ACCESS_UNCHECKED warnings. The signal is simulated the way the
// Context delivers it: the run's AbortSignal is aborted with the InterruptedError of that signal,
// and the read in flight (here GetKeyPolicy on the fake port) rejects with it, as the SDK adapter's
// translation does.
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { InterruptedError, interruptedBy, type StopSignal } from '../../src/errors.js'
import { accessPreflight } from '../../src/preflight/accessPreflight.js'
import { createMemoryKms, MemoryKmsStore } from '../../src/kms/memory.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { testContext } from '../helpers/testContext.js'

function world() {
  const old = key()
  const next = key()
  const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/keep': old.keyId } })
  return { old, next, kms }
}

describe('a stop signal during the access reads stops the run (issue 18 defect 3: failed before the fix)', () => {
  // Before the fix settle() in accessPreflight.ts rethrew only exit code 130: SIGTERM and SIGHUP
  // became ACCESS_UNCHECKED warnings, the update went on and exited 0 with the alias moved.
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s while GetKeyPolicy is in flight: exit %i, nothing written', async (signal: StopSignal, exitCode) => {
    const { old, next, kms } = world()
    const ctx = testContext({ kms })
    const stop = new AbortController()
    ctx.signal = stop.signal
    kms.getKeyPolicy = async () => {
      stop.abort(new InterruptedError(signal))
      throw interruptedBy(stop.signal)
    }
    const code = await main(['update', 'alias/app', '--to', next.keyId, '--json'], ctx)
    expect(code).toBe(exitCode)
    expect(JSON.parse(ctx.stdout())).toMatchObject({ outcome: 'failed', changed: false, findings: [], exitCode })
    expect(kms.aliases.get('alias/app')).toBe(old.keyId)
    expect(kms.mutations()).toEqual([])
  })

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('accessPreflight rethrows the %s interruption of any read', async (signal) => {
    const { old, next, kms } = world()
    kms.listGrants = async () => {
      throw new InterruptedError(signal)
    }
    await expect(accessPreflight(kms, old, next, { allowAccessChange: false })).rejects.toEqual(new InterruptedError(signal))
  })
})

describe('demo: a stop signal keeps its exit code', () => {
  // Failed before the fix: demo.ts turned a signal that stopped one of its commands into
  // "interrupted", exit 130, whatever the signal.
  it.each([
    ['SIGTERM', 143, 'TERMINATED'],
    ['SIGHUP', 129, 'HANGUP'],
  ] as const)('%s while its `list` step reads: one JSON document, exit %i', async (signal, exitCode, code) => {
    const stop = new AbortController()
    const kms = createMemoryKms(new MemoryKmsStore(), { signal: stop.signal })
    const listAliases = kms.listAliases.bind(kms)
    kms.listAliases = async (filter) => {
      stop.abort(new InterruptedError(signal))
      return listAliases(filter)
    }
    const ctx = testContext({ kms })
    ctx.signal = stop.signal
    expect(await main(['demo', '--json'], ctx)).toBe(exitCode)
    const doc = JSON.parse(ctx.stdout()) as { exitCode: number; error: unknown }
    expect(doc).toMatchObject({ exitCode, error: { code, message: `stopped by ${signal}` } })
  })
})
