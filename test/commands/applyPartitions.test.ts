import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

function file(text: string, name = 'aliases.txt'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-apply-')), name)
  writeFileSync(path, text)
  return path
}

function world() {
  const k1 = key()
  const k2 = key()
  const kms = new FakeKms({ keys: [k1, k2], aliases: { 'alias/a': k1.keyId, 'alias/keep': k1.keyId } })
  return { k1, k2, kms }
}

describe('apply with Region and account columns (one partition until apply runs several)', () => {
  it('applies entries that name the client\'s own Region and account', async () => {
    const { k2, kms } = world()
    const mapping = file(JSON.stringify([{ alias: 'alias/a', to: k2.keyId, region: 'us-east-1', account: '111122223333' }]), 'aliases.json')
    const r = await run(['apply', mapping, '--json'], { kms })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).changes.map((c: { alias: string; status: string }) => `${c.alias} ${c.status}`)).toEqual(['alias/a applied'])
    expect(kms.calls).toContain('GetCallerIdentity')
    expect(kms.aliases.get('alias/a')).toBe(k2.keyId)
  })

  it.each([
    ['a plain line for another Region', (k: string) => file(`alias/keep ${k}\nalias/a ${k} eu-west-1\n`), ':2: alias/a is for eu-west-1, but apply changes only us-east-1 for now; nothing was changed'],
    [
      'a JSON entry for another account',
      (k: string) => file(JSON.stringify([{ alias: 'alias/keep', to: k }, { alias: 'alias/a', to: k, account: '444455556666' }], null, 1), 'aliases.json'),
      ':6: alias/a is for account 444455556666, but apply changes only account 111122223333, us-east-1 for now; nothing was changed',
    ],
  ])('%s is a usage error (exit 2) and changes nothing, not even the other entries', async (_, make, message) => {
    const { k1, k2, kms } = world()
    const mapping = make(k2.keyId)
    const r = await run(['apply', mapping, '--json'], { kms })
    expect(r.code).toBe(2)
    const doc = JSON.parse(r.stdout)
    expect(doc.error).toEqual({ code: 'USAGE', message: `${mapping}${message}`, hint: 'split the file and run apply once per Region (--region) and account (--role-arn)' })
    expect(doc.changes).toEqual([])
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/a')).toBe(k1.keyId)
  })
})
