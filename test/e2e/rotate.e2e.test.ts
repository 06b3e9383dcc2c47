// rotate end to end: the built CLI against moto_server, in a Region no other test file uses, so
// that counting its keys before and after a run shows exactly what the run created.
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  paginateListKeys,
  UpdateAliasCommand,
  type CreateKeyCommandInput,
} from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { cli, cliEnv, freshJournal, journalEntries, motoUrl, uniqueAlias, useFaultProxy } from './harness.js'

const HERE = 'eu-south-2'
const TODAY = new Date().toISOString().slice(0, 10)

let client: KMSClient | undefined
const kms = () => (client ??= new KMSClient({ region: HERE, endpoint: motoUrl(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }))
const env = (extra: Record<string, string> = {}) => cliEnv({ AWS_REGION: HERE, KMS_ALIAS_JOURNAL: freshJournal(), ...extra })

async function keyCount(): Promise<number> {
  let n = 0
  for await (const page of paginateListKeys({ client: kms() }, {})) n += page.Keys?.length ?? 0
  return n
}

async function targetOf(alias: string): Promise<string | undefined> {
  const out = await kms().send(new ListAliasesCommand({}))
  return out.Aliases?.find((a) => a.AliasName === alias)?.TargetKeyId
}

const describeKey = async (keyId: string) => (await kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!
const policyOf = async (keyId: string) => (await kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy
async function tagsOf(keyId: string) {
  const tags = (await kms().send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? []
  return Object.fromEntries(tags.map((t) => [t.TagKey, t.TagValue]))
}

const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
    { Sid: 'app', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/app' }, Action: ['kms:Sign', 'kms:Decrypt', 'kms:GenerateMac'], Resource: '*' },
  ],
})

/** An alias (and a second one, so the old key keeps an alias) on a key with a policy, tags and a description. */
async function aliasOnKey(label: string, input: Partial<CreateKeyCommandInput>): Promise<{ alias: string; keyId: string }> {
  const out = await kms().send(new CreateKeyCommand({ Policy: policy, Description: `${label} key`, Tags: [{ TagKey: 'team', TagValue: 'payments' }], ...input }))
  const keyId = out.KeyMetadata!.KeyId!
  const alias = uniqueAlias(`rotate-${label}`)
  await kms().send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }))
  await kms().send(new CreateAliasCommand({ AliasName: `${alias}-keep`, TargetKeyId: keyId }))
  return { alias, keyId }
}

describe('rotate against moto_server', () => {
  it.each<[string, Partial<CreateKeyCommandInput>]>([
    ['RSA signing', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }],
    ['ECC signing', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }],
    ['HMAC', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }],
    ['symmetric', { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }],
  ])('%s: one new key like the old one (spec, usage, policy, tags, description), the alias moved to it, the old key untouched', async (label, input) => {
    const { alias, keyId } = await aliasOnKey(label.replace(' ', '-'), input)
    const symmetric = input.KeySpec === 'SYMMETRIC_DEFAULT'
    if (symmetric) await kms().send(new EnableKeyRotationCommand({ KeyId: keyId }))
    const oldBefore = await describeKey(keyId)
    const before = await keyCount()

    const r = await cli(['rotate', alias, '--yes', '--json'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    const created: string = doc.createdKeyId
    expect(doc).toMatchObject({
      action: 'rotate',
      alias,
      region: HERE,
      outcome: 'rotated',
      changed: true,
      verified: true,
      previous: { keyId, keySpec: input.KeySpec, keyUsage: input.KeyUsage },
      target: { keyId: created, keySpec: input.KeySpec, keyUsage: input.KeyUsage, keyState: 'Enabled', keyManager: 'CUSTOMER', origin: 'AWS_KMS' },
      newKey: { policy: 'copied', automaticRotation: symmetric ? true : null, tags: { team: 'payments', 'kms-alias:rotated-from': keyId } },
      unusedKey: null,
      undo: `kms-alias update ${alias} --to ${keyId} --expect-current ${created} --region ${HERE}`,
      exitCode: 0,
    })
    // Asymmetric and HMAC keys: old signatures and MACs still need the old key ID (the access preflight).
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(symmetric ? ['ROTATES_IN_PLACE'] : ['OLD_ARTIFACTS_NEED_OLD_KEY'])

    // What moto holds: exactly one new key, made as planned; the alias on it; the old key as it was.
    expect(await keyCount()).toBe(before + 1)
    expect(await targetOf(alias)).toBe(created)
    expect(await targetOf(`${alias}-keep`)).toBe(keyId)
    const made = await describeKey(created)
    expect([made.KeySpec, made.KeyUsage, made.Origin, made.KeyState, made.Description]).toEqual([input.KeySpec, input.KeyUsage, 'AWS_KMS', 'Enabled', `${label.replace(' ', '-')} key (rotated from ${keyId} on ${TODAY})`])
    expect(await policyOf(created)).toBe(policy)
    expect(await tagsOf(created)).toEqual({ team: 'payments', 'kms-alias:rotated-from': keyId })
    if (symmetric) expect((await kms().send(new GetKeyRotationStatusCommand({ KeyId: created }))).KeyRotationEnabled).toBe(true)
    expect(await describeKey(keyId)).toEqual(oldBefore)
  })

  it('--dry-run creates no key and changes nothing (keys counted before and after)', async () => {
    const { alias, keyId } = await aliasOnKey('dry', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })
    const before = await keyCount()
    const r = await cli(['rotate', alias, '--dry-run', '--json'], env())
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'would-rotate', changed: false, createdKeyId: null, target: null })
    expect(await keyCount()).toBe(before)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('imported key material (moto makes EXTERNAL keys): ROTATE_UNSUPPORTED, exit 3, no key created', async () => {
    const { alias, keyId } = await aliasOnKey('external', { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'EXTERNAL' })
    const before = await keyCount()
    const r = await cli(['rotate', alias, '--yes', '--json'], env())
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.map((f: { code: string }) => f.code)).toEqual(['ROTATE_UNSUPPORTED'])
    expect(doc.error).toEqual({ code: 'REFUSED', message: 'refused by the preflight: ROTATE_UNSUPPORTED', hint: 'see the findings; nothing was changed' })
    expect(await keyCount()).toBe(before)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('an AWS managed alias (alias/aws/ebs): refused with no call, no key created', async () => {
    const before = await keyCount()
    const r = await cli(['rotate', 'alias/aws/ebs', '--yes', '--json'], env())
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['RESERVED_ALIAS', 'ROTATE_UNSUPPORTED'])
    expect(await keyCount()).toBe(before)
  })

  it('undo of a rotate moves the alias back and leaves the created key enabled, saying so', async () => {
    const { alias, keyId } = await aliasOnKey('undo', { KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' })
    const e = env()
    const rotated = await cli(['rotate', alias, '--yes', '--json'], e)
    expect(rotated.code).toBe(0)
    const { createdKeyId, journalId } = JSON.parse(rotated.stdout)
    const r = await cli(['undo', journalId, '--yes', '--json'], e)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'update', outcome: 'updated', previous: { keyId: createdKeyId }, target: { keyId } })
    expect(r.stderr).toContain(`undo leaves the key that rotate created (${createdKeyId}) as it is; disable it or schedule its deletion yourself once nothing needs it\n`)
    expect(await targetOf(alias)).toBe(keyId)
    expect((await describeKey(createdKeyId)).KeyState).toBe('Enabled')
    const entries = await journalEntries(e.KMS_ALIAS_JOURNAL!)
    expect(entries.map((x) => [x.action, x.command, x.createdKeyId ?? null])).toEqual([
      ['rotate', 'rotate', createdKeyId],
      ['update', 'undo', null],
    ])
  })
})

describe('rotate through the fault proxy', () => {
  const proxy = useFaultProxy()

  it('another writer moves the alias while the key is being created (proxy hook): conflict (exit 5), the new key left disabled, the alias theirs', async () => {
    const { alias, keyId } = await aliasOnKey('conflict', { KeySpec: 'RSA_3072', KeyUsage: 'SIGN_VERIFY' })
    const theirs = (await kms().send(new CreateKeyCommand({ KeySpec: 'RSA_3072', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!
    proxy.before('CreateKey', [1], () => kms().send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: theirs })).then(() => undefined))
    const before = await keyCount()
    const r = await cli(['rotate', alias, '--yes', '--json'], env({ AWS_ENDPOINT_URL_KMS: proxy.url }))
    expect(r.code).toBe(5)
    const doc = JSON.parse(r.stdout)
    const created: string = doc.createdKeyId
    // Without the DisableKey of the unused key this fails: it stays Enabled (tried once).
    expect((await describeKey(created)).KeyState).toBe('Disabled')
    expect(doc).toMatchObject({
      outcome: 'conflict',
      changed: false,
      undo: null,
      unusedKey: { keyId: created, disabled: true, scheduleDeletion: `aws kms schedule-key-deletion --key-id ${created} --pending-window-in-days 30 --region ${HERE}`, error: null },
      error: { code: 'CONFLICT', message: `${alias} points to ${theirs}, but when this run planned the change it pointed to ${keyId}: another writer changed it; nothing was changed` },
    })
    expect(r.stderr).toBe(
      `warning: The new key ${created} was disabled and is not used; nothing is deleted automatically. To delete it: aws kms schedule-key-deletion --key-id ${created} --pending-window-in-days 30 --region ${HERE}\n` +
        `error: ${doc.error.message}\nhint: find out who else changes this alias, then plan again\n`,
    )
    expect(proxy.calls('UpdateAlias')).toBe(0)
    expect(proxy.calls('DisableKey')).toBe(1)
    expect(await keyCount()).toBe(before + 1)
    expect(await targetOf(alias)).toBe(theirs)
    expect((await describeKey(keyId)).KeyState).toBe('Enabled')
  })

  it('UpdateAlias denied (proxy fault): exit 7, the new key disabled, the alias where it was', async () => {
    const { alias, keyId } = await aliasOnKey('denied', { KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' })
    proxy.fault('UpdateAlias', 'access-denied')
    const r = await cli(['rotate', alias, '--yes'], env({ AWS_ENDPOINT_URL_KMS: proxy.url }))
    expect(r.code).toBe(7)
    const [outcome, name, previous, created, changed, verified] = r.stdout.trimEnd().split('\t')
    expect([outcome, name, previous, changed, verified]).toEqual(['failed', alias, keyId, 'false', 'false'])
    expect((await describeKey(created!)).KeyState).toBe('Disabled')
    expect(await targetOf(alias)).toBe(keyId)
  })
})
