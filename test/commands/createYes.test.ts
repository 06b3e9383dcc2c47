import { describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { line, run } from '../helpers/run.js'

// Before: "error: unknown option '--yes'" (exit 2), so scripts that pass --yes to every change broke.
describe('create --yes', () => {
  it.each([['--yes'], ['-y']])('%s is accepted and changes nothing about create (no prompt, same output)', async (flag) => {
    const next = key()
    const kms = new FakeKms({ keys: [next] })
    const r = await run(['create', 'alias/new', '--to', next.keyId, flag], { kms, tty: false })
    expect(r).toMatchObject({ code: 0, stdout: line('created', 'alias/new', '-', next.keyId, 'true', 'true'), stderr: '' })
    expect(r.ctx.prompts).toEqual([])
    expect(kms.aliases.get('alias/new')).toBe(next.keyId)
  })
})
