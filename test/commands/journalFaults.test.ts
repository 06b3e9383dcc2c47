import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

// Disk faults a test cannot make for real (ENOSPC needs a full filesystem, EROFS a read-only mount,
// EACCES a non-root user): injected with vi.mock into the journal's appends and the lock's writes.
const faults = vi.hoisted(() => ({
  append: undefined as string | undefined,
  /** The disk fills up at the first append whose lines contain this text: it and every later append fail. */
  appendFullFrom: undefined as string | undefined,
  lockWrite: undefined as string | undefined,
}))
const fault = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: injected fault, ${syscall} '${path}'`), { code, syscall, path })
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...real,
    appendFile: (...args: Parameters<typeof real.appendFile>) => {
      if (faults.appendFullFrom && String(args[1]).includes(faults.appendFullFrom)) faults.append = 'ENOSPC'
      if (faults.append) return Promise.reject(fault(faults.append, 'write', 'journal.jsonl'))
      return real.appendFile(...args)
    },
    open: async (...args: Parameters<typeof real.open>) => {
      const handle: FileHandle = await real.open(...args)
      const [path, flags] = args
      if (!faults.lockWrite || flags !== 'wx' || !String(path).endsWith('.lock')) return handle
      const code = faults.lockWrite
      // The lock file exists now (O_EXCL made it); writing its holder fails, as on a full disk.
      handle.writeFile = () => Promise.reject(fault(code, 'write', String(path)))
      return handle
    },
  }
})

const { FakeKms, key } = await import('../helpers/fakeKms.js')
const { journalOf } = await import('../helpers/run.js')
const { run } = await import('../helpers/run.js')
const { defaultJournal } = await import('../helpers/testContext.js')
const { acquireLock } = await import('../../src/engine/lock.js')

function world() {
  const a = key()
  const b = key()
  const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId } })
  return { a, b, kms }
}

describe('a journal that cannot be written (filesystem fault injected with vi.mock)', () => {
  // Failed before the fix (issue 19.16): exit 0 with a warning, the change made without its record.
  it.each(['ENOSPC', 'EROFS', 'EACCES'])('%s on the journal append: exit 7 naming the path and the cause, nothing sent', async (code) => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    faults.append = code
    try {
      const r = await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
      expect(r.code).toBe(7)
      expect(r.stderr).toContain(`error: cannot write the journal ${journal}: ${code}: injected fault, write 'journal.jsonl'; nothing was changed\n`)
      expect(kms.mutations()).toEqual([])
      expect(kms.aliases.get('alias/app')).toBe(a.keyId)
      // The journal's own lock was released, not left behind.
      expect(readdirSync(dirname(journal))).not.toContain('journal.jsonl.lock')
    } finally {
      faults.append = undefined
    }
  })
})

describe('a journal that fills up part-way through a run (filesystem fault injected with vi.mock)', () => {
  // Failed before the fix (found in review): the rollback of us-east-1 was refused like a new change
  // (its intent could not be journaled either), leaving the alias moved in us-east-1 and not in
  // eu-west-1, while the error said "nothing was changed".
  it('update --regions: the second Region is refused (exit 7) and the first is still rolled back, with a warning', async () => {
    const places = new Map(
      ['us-east-1', 'eu-west-1'].map((region) => {
        const old = key({ region })
        const next = key({ region })
        const kms = new FakeKms({ keys: [old, next], aliases: { 'alias/app': old.keyId, 'alias/app-next': next.keyId }, region })
        return [region, { old, next, kms }] as const
      }),
    )
    const east = places.get('us-east-1')!
    const west = places.get('eu-west-1')!
    const journal = defaultJournal()
    faults.appendFullFrom = '"region":"eu-west-1"'
    let r: Awaited<ReturnType<typeof run>>
    try {
      r = await run(['update', 'alias/app', '--to', 'alias/app-next', '--regions', 'us-east-1,eu-west-1', '--yes', '--output', 'text'], {
        kms: (config) => places.get(config.region ?? 'us-east-1')!.kms,
        journal,
      })
    } finally {
      faults.appendFullFrom = undefined
      faults.append = undefined
    }
    expect(r.code).toBe(7)
    // Both Regions are where they were before the run.
    expect(east.kms.aliases.get('alias/app')).toBe(east.old.keyId)
    expect(west.kms.aliases.get('alias/app')).toBe(west.old.keyId)
    expect(west.kms.mutations()).toEqual([])
    expect(r.stderr).toContain(
      `warning: the rollback of alias/app in us-east-1 is made without its journal line: cannot write the journal ${journal}: ENOSPC: injected fault, write 'journal.jsonl'\n`,
    )
    expect(r.stderr).toContain(`cannot write the journal ${journal}: ENOSPC: injected fault, write 'journal.jsonl'; nothing was changed`)
    // The journal keeps the us-east-1 change (written before the disk filled up), not its rollback.
    expect((await journalOf(r.ctx)).map((e) => `${e.region} ${e.command} ${e.changed}`)).toEqual(['us-east-1 update true'])
  })
})

describe('a lock that cannot be written (filesystem fault injected with vi.mock)', () => {
  // Checked: without the removal in tryCreate, the empty lock file stays and this fails.
  it('ENOSPC while writing the holder: the error is thrown and no lock file is left', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-lock-')), 'a.lock')
    faults.lockWrite = 'ENOSPC'
    try {
      await expect(acquireLock(path, { waitMs: 0, staleMs: 60_000 })).rejects.toMatchObject({ code: 'ENOSPC' })
    } finally {
      faults.lockWrite = undefined
    }
    expect(existsSync(path)).toBe(false)
  })

  // Failed before the fix (issue 19.16): exit 1 ("internal error … this is a bug") with the empty lock left behind.
  it('ENOSPC on the alias lock: exit 7 naming the alias and the cause, nothing sent, no lock debris', async () => {
    const { a, b, kms } = world()
    const journal = defaultJournal()
    faults.lockWrite = 'ENOSPC'
    let r
    try {
      r = await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })
    } finally {
      faults.lockWrite = undefined
    }
    expect(r.code).toBe(7)
    expect(r.stderr).toMatch(/error: cannot take the lock for alias\/app: ENOSPC: injected fault, write '.*\/locks\/[0-9a-f]{32}\.lock'; nothing was changed\n/)
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
    const locks = join(r.ctx.env.XDG_STATE_HOME ?? '', 'kms-alias', 'locks')
    expect(readdirSync(locks)).toEqual([])
    expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').toBe('')
  })
})
