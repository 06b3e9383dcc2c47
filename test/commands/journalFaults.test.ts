import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

// Disk faults a test cannot make for real (ENOSPC needs a full filesystem, EROFS a read-only mount,
// EACCES a non-root user): injected with vi.mock into the journal's appends and the lock's writes.
const faults = vi.hoisted(() => ({ append: undefined as string | undefined, lockWrite: undefined as string | undefined }))
const fault = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: injected fault, ${syscall} '${path}'`), { code, syscall, path })
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...real,
    appendFile: (...args: Parameters<typeof real.appendFile>) => {
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
