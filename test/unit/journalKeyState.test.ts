// Key-state entries in the journal (issue 21): written by retire and its undo beside the alias
// entries, read by the same readers; an entry without its key or states is refused by name, and
// journals written before them read as before.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readJournal, readLastUndoable } from '../../src/engine/journal.js'

const journal = (lines: object[]) => {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-keystate-')), 'journal.jsonl')
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  return path
}
const base = { type: 'intent', time: '2026-11-29T00:00:00.000Z', account: '111122223333', region: 'us-east-1', command: 'retire --disable', reverts: null, runId: null, toolVersion: '0.1.0' }
const disable = { ...base, id: 'a1', alias: '', action: 'disable-key', previousKeyId: null, newKeyId: null, keyId: 'k1', previousState: 'Enabled', newState: 'Disabled' }
const update = { ...base, id: 'u1', alias: 'alias/app', action: 'update', previousKeyId: 'k0', newKeyId: 'k1', command: 'update' }
const outcome = (id: string) => ({ type: 'outcome', id, time: base.time, changed: true, verified: true })

describe('journal: key-state entries', () => {
  it('read beside alias entries, with the key and its states', async () => {
    const read = await readJournal(journal([update, outcome('u1'), disable, outcome('a1')]))
    expect(read.invalid).toEqual([])
    expect(read.entries.map((e) => [e.id, e.action, e.alias, e.keyId ?? null, e.previousState ?? null, e.newState ?? null, e.certain])).toEqual([
      ['u1', 'update', 'alias/app', null, null, null, true],
      ['a1', 'disable-key', '', 'k1', 'Enabled', 'Disabled', true],
    ])
  })

  it('undo --last finds the newest key-state entry, and steps past it once reverted', async () => {
    expect((await readLastUndoable(journal([update, outcome('u1'), disable, outcome('a1')]))).entry?.id).toBe('a1')
    const enable = { ...disable, id: 'e1', action: 'enable-key', previousState: 'Disabled', newState: 'Enabled', command: 'undo', reverts: 'a1' }
    expect((await readLastUndoable(journal([update, outcome('u1'), disable, outcome('a1'), enable, outcome('e1')]))).entry?.id).toBe('u1')
  })

  it.each([
    ['no keyId', { ...disable, keyId: undefined }, 'no keyId'],
    ['no previous state', { ...disable, previousState: '' }, 'no previousState'],
    ['no Region', { ...disable, region: '' }, 'no Region'],
  ])('an entry with %s is refused by name', async (_name, line, reason) => {
    const read = await readJournal(journal([line]))
    expect(read.entries).toEqual([])
    expect(read.invalid).toEqual([{ id: 'a1', reason, after: null }])
  })

  it('an alias entry is still checked as before: an unknown action is refused', async () => {
    const read = await readJournal(journal([{ ...update, action: 'rename' }]))
    expect(read.invalid).toEqual([{ id: 'u1', reason: 'unknown action "rename"', after: null }])
  })
})
