import { describe, expect, it } from 'vitest'
import { recheckEntry, type JournalEntry } from '../../src/engine/journal.js'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'

const a = key()
const b = key()
const elsewhere = key({ accountId: '444455556666' })
const entry = (fields: Partial<JournalEntry>): JournalEntry => ({
  id: 'e1',
  time: '2026-11-29T00:00:00.000Z',
  account: ACCOUNT,
  region: 'us-east-1',
  alias: 'alias/app',
  action: 'update',
  previousKeyId: a.keyId,
  newKeyId: b.keyId,
  command: 'update',
  reverts: null,
  runId: null,
  toolVersion: '0.1.0',
  changed: true,
  verified: true,
  certain: true,
  ...fields,
})

// undo calls this before it plans (issue 19.18): a forged or stale entry is refused by name.
describe('recheckEntry: a journal entry against the alias and the key as KMS has them now', () => {
  it.each([
    ['an update still in place, its previous key present', { 'alias/app': b.keyId }, {}, undefined],
    ['a create still in place', { 'alias/app': b.keyId }, { action: 'create', previousKeyId: null }, undefined],
    ['a delete whose alias is still gone, its key present', {}, { action: 'delete', newKeyId: null }, undefined],
    [
      'an alias moved since',
      { 'alias/app': a.keyId },
      {},
      { exitCode: 5, message: `alias/app points to ${a.keyId}, but journal entry e1 left it on ${b.keyId}: it changed since (or the entry is not true); nothing was changed` },
    ],
    [
      'a deleted alias that exists again',
      { 'alias/app': b.keyId },
      { action: 'delete', newKeyId: null },
      { exitCode: 5, message: `alias/app points to ${b.keyId}, but journal entry e1 deleted it: it changed since (or the entry is not true); nothing was changed` },
    ],
    [
      'a previous key that does not exist (a forged entry)',
      { 'alias/app': b.keyId },
      { previousKeyId: '99999999-0000-4000-8000-000000000000' },
      { exitCode: 4, message: 'journal entry e1 would put alias/app back on 99999999-0000-4000-8000-000000000000, which does not exist in us-east-1; nothing was changed' },
    ],
    [
      'a previous key in another account',
      { 'alias/app': b.keyId },
      { previousKeyId: elsewhere.arn },
      {
        exitCode: 2,
        message: `journal entry e1 would put alias/app (account ${ACCOUNT}, us-east-1) back on ${elsewhere.arn}, a key of another account or Region; nothing was changed`,
      },
    ],
    [
      'a previous "key" that is an alias',
      { 'alias/app': b.keyId, 'alias/other': a.keyId },
      { previousKeyId: 'alias/other' },
      { exitCode: 2, message: 'journal entry e1 names alias/other as the previous key, which is not a key ID or ARN; nothing was changed' },
    ],
  ] as const)('%s', async (_name, aliases, fields, refusal) => {
    const kms = new FakeKms({ keys: [a, b, elsewhere], aliases })
    const result = await recheckEntry(entry(fields as Partial<JournalEntry>), kms)
    if (refusal === undefined) expect(result).toBeUndefined()
    else expect(result).toMatchObject(refusal)
    expect(kms.mutations()).toEqual([])
  })
})
