import { describe, expect, it } from 'vitest'
import { aliasOnNewKey, cli, createAlias, createKey, disableKey, MOTO_ACCOUNT, REGION, scheduleDeletion, targetOf, uniqueAlias } from './harness.js'

const line = (...fields: string[]) => `${fields.join('\t')}\n`
const arnOf = (alias: string) => `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:${alias}`

describe('create is idempotent against moto_server', () => {
  it('a second create onto the same key exits 0 with already-in-place; onto another key exits 5', async () => {
    const keyId = await createKey()
    const alias = uniqueAlias('create-twice')
    const first = await cli(['create', alias, '--to', keyId])
    expect(first).toMatchObject({ code: 0, stdout: line('created', alias, '-', keyId, 'true', 'true') })
    const again = await cli(['create', alias, '--to', keyId])
    expect(again).toMatchObject({ code: 0, stdout: line('already-in-place', alias, '-', keyId, 'false', 'true') })
    const other = await createKey()
    const elsewhere = await cli(['create', alias, '--to', other])
    expect(elsewhere.code).toBe(5)
    expect(await targetOf(alias)).toBe(keyId)
  })
})

describe('list against moto_server', () => {
  it('lists the aliases under a prefix with their keys, as JSON and as text', async () => {
    const prefix = uniqueAlias('list')
    const sym = await createKey()
    const rsa = await createKey('RSA_2048', 'SIGN_VERIFY')
    await disableKey(rsa)
    await createAlias(`${prefix}/b`, sym)
    await createAlias(`${prefix}/a`, rsa)
    const json = await cli(['list', '--prefix', prefix, '--json'])
    expect(json.code).toBe(0)
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout)).toEqual([
      { alias: `${prefix}/a`, arn: arnOf(`${prefix}/a`), targetKeyId: rsa, keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', keyState: 'Disabled', keyManager: 'CUSTOMER', lastUpdated: null },
      { alias: `${prefix}/b`, arn: arnOf(`${prefix}/b`), targetKeyId: sym, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Enabled', keyManager: 'CUSTOMER', lastUpdated: null },
    ])
    const text = await cli(['list', '--prefix', prefix])
    expect(text.stdout).toBe(line(`${prefix}/a`, rsa, 'RSA_2048', 'SIGN_VERIFY', 'Disabled', 'CUSTOMER') + line(`${prefix}/b`, sym, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'CUSTOMER'))
  })

  it('--key filters by key ID or by alias', async () => {
    const { alias, keyId } = await aliasOnNewKey('list-key')
    for (const key of [keyId, alias]) {
      const r = await cli(['list', '--key', key, '--json'])
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).map((a: { alias: string }) => a.alias)).toEqual([alias, `${alias}-keep`])
    }
  })

  it('--key: a missing key is "not found" in our words; ARNs of another Region or account are refused', async () => {
    const { alias, keyId } = await aliasOnNewKey('list-key-arn')
    const missing = '0000dead-0000-4000-8000-000000000000'
    expect(await cli(['list', '--key', missing])).toEqual({ code: 4, stdout: '', stderr: `error: --key ${missing} not found in ${REGION}\n` })
    const otherRegion = `arn:aws:kms:eu-west-1:${MOTO_ACCOUNT}:key/${keyId}`
    expect(await cli(['list', '--key', otherRegion])).toEqual({ code: 3, stdout: '', stderr: `error: --key ${otherRegion} is in eu-west-1, but requests go to ${REGION}\nhint: pass --region eu-west-1 to list there\n` })
    // moto uses only the key-ID part of the ARN: without the account check this listed our aliases.
    const otherAccount = `arn:aws:kms:${REGION}:999999999999:key/${keyId}`
    expect(await cli(['list', '--key', otherAccount])).toEqual({
      code: 3,
      stdout: '',
      stderr: `error: --key ${otherAccount} is in account 999999999999, but these credentials act on account ${MOTO_ACCOUNT}\nhint: list with credentials of that account (a profile or role there)\n`,
    })
    const own = await cli(['list', '--key', `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${keyId}`, '--json'])
    expect(JSON.parse(own.stdout).map((a: { alias: string }) => a.alias)).toEqual([alias, `${alias}-keep`])
  })

  it('hides alias/aws/* unless --all, and an empty result is [] with exit 0', async () => {
    const hidden = await cli(['list', '--prefix', 'alias/aws/', '--json'])
    expect(hidden).toMatchObject({ code: 0, stdout: '[]\n' })
    const shown = await cli(['list', '--prefix', 'alias/aws/', '--all', '--json'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout).length).toBeGreaterThanOrEqual(14)
  })

  it('exits 4 for a --key that does not exist', async () => {
    const r = await cli(['list', '--key', uniqueAlias('nokey')])
    expect(r.code).toBe(4)
  })
})

describe('show against moto_server', () => {
  it('shows the key and its other aliases', async () => {
    const { alias, keyId } = await aliasOnNewKey('show', 'ECC_NIST_P256', 'SIGN_VERIFY')
    const r = await cli(['show', alias, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({
      alias,
      arn: arnOf(alias),
      region: REGION,
      targetKeyId: keyId,
      key: { keyId, keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', keyState: 'Enabled', keyManager: 'CUSTOMER', signingAlgorithms: ['ECDSA_SHA_256'] },
      otherAliases: [`${alias}-keep`],
    })
  })

  it('exits 4 for a missing alias', async () => {
    const alias = uniqueAlias('show-missing')
    expect(await cli(['show', alias])).toEqual({ code: 4, stdout: '', stderr: `error: alias ${alias} not found in ${REGION}\n` })
  })
})

describe('create against moto_server', () => {
  it('creates the alias and confirms it; the undo deletes it', async () => {
    const keyId = await createKey()
    const alias = uniqueAlias('create')
    const r = await cli(['create', alias, '--to', keyId, '--json'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ action: 'create', outcome: 'created', changed: true, verified: true, target: { keyId } })
    expect(await targetOf(alias)).toBe(keyId)
    const undo = await cli((doc.undo as string).split(' ').slice(1))
    expect(undo.code).toBe(0)
    expect(await targetOf(alias)).toBeUndefined()
  })

  it('exits 5 when the alias exists, and leaves it alone', async () => {
    const { alias, keyId } = await aliasOnNewKey('create-exists')
    const other = await createKey()
    const r = await cli(['create', alias, '--to', other])
    expect(r.code).toBe(5)
    expect(r.stderr).toBe(`error: ${alias} already exists in ${REGION} (it points to ${keyId})\nhint: to point it to another key, use kms-alias update ${alias} --to ${other}\n`)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it.each([
    ['pending deletion', scheduleDeletion, 'TARGET_PENDING_DELETION'],
    ['disabled', disableKey, 'TARGET_NOT_ENABLED'],
  ] as const)('refuses a target %s with exit 3 and creates nothing (moto would)', async (_name, prepare, code) => {
    const keyId = await createKey()
    await prepare(keyId)
    const alias = uniqueAlias('create-refused')
    const r = await cli(['create', alias, '--to', keyId, '--json'])
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual([code])
    expect(await targetOf(alias)).toBeUndefined()
  })

  it('refuses a name under alias/aws/ with exit 3 (moto would create alias/aws/custom)', async () => {
    const keyId = await createKey()
    const r = await cli(['create', 'alias/aws/kms-alias-e2e', '--to', keyId])
    expect(r.code).toBe(3)
    expect(await targetOf('alias/aws/kms-alias-e2e')).toBeUndefined()
  })

  it('exits 4 for a missing key, 2 for a malformed name, and --dry-run creates nothing', async () => {
    const alias = uniqueAlias('create-misc')
    expect((await cli(['create', alias, '--to', '99999999-9999-4999-8999-999999999999'])).code).toBe(4)
    expect((await cli(['create', 'alias/bad name', '--to', '99999999-9999-4999-8999-999999999999'])).code).toBe(2)
    const keyId = await createKey()
    const dry = await cli(['create', alias, '--to', keyId, '--dry-run'])
    expect(dry).toEqual({ code: 0, stdout: line('would-create', alias, '-', keyId, 'false', 'false'), stderr: '' })
    expect(await targetOf(alias)).toBeUndefined()
  })
})

describe('delete against moto_server', () => {
  it('refuses without --yes when not on a terminal (exit 2), and the alias stays', async () => {
    const { alias, keyId } = await aliasOnNewKey('delete-guard')
    const r = await cli(['delete', alias])
    expect(r.code).toBe(2)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('deletes with --yes, confirms, and its recreate command brings the alias back', async () => {
    const { alias, keyId } = await aliasOnNewKey('delete')
    const r = await cli(['delete', alias, '--yes', '--json'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ action: 'delete', outcome: 'deleted', changed: true, verified: true, previous: { keyId }, findings: [] })
    expect(await targetOf(alias)).toBeUndefined()
    expect(await targetOf(`${alias}-keep`)).toBe(keyId)
    const recreate = await cli((doc.undo as string).split(' ').slice(1))
    expect(recreate.code).toBe(0)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('warns PREVIOUS_KEY_ORPHANED when the key keeps no alias', async () => {
    const keyId = await createKey()
    const alias = uniqueAlias('delete-orphan')
    await createAlias(alias, keyId)
    const r = await cli(['delete', alias, '--yes', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['PREVIOUS_KEY_ORPHANED'])
  })

  it('exits 4 for a missing alias, 3 for a reserved one, and --dry-run deletes nothing', async () => {
    expect((await cli(['delete', uniqueAlias('delete-missing'), '--yes'])).code).toBe(4)
    expect((await cli(['delete', 'alias/aws/s3', '--yes'])).code).toBe(3)
    expect(await targetOf('alias/aws/s3')).toBeDefined()
    const { alias, keyId } = await aliasOnNewKey('delete-dry')
    const dry = await cli(['delete', alias, '--dry-run'])
    expect(dry).toEqual({ code: 0, stdout: line('would-delete', alias, keyId, '-', 'false', 'false'), stderr: '' })
    expect(await targetOf(alias)).toBe(keyId)
  })
})
