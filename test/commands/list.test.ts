import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'
import { AccessError } from '../../src/errors.js'
import { createKmsPort } from '../../src/kms/client.js'
import { main } from '../../src/cli/main.js'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { testContext } from '../helpers/testContext.js'

function world() {
  const sym = key()
  const rsa = key({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', keyState: 'Disabled' })
  const kms = new FakeKms({
    keys: [sym, rsa],
    aliases: { 'alias/payments': sym.keyId, 'alias/payments-next': rsa.keyId, 'alias/audit': sym.keyId, 'alias/aws/s3': 'aws-owned-key' },
  })
  return { sym, rsa, kms }
}

describe('list', () => {
  it('prints sorted tab-separated rows, hides alias/aws/* and describes each key once', async () => {
    const { sym, rsa, kms } = world()
    const r = await run(['list'], { kms })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      `alias/audit\t${sym.keyId}\tSYMMETRIC_DEFAULT\tENCRYPT_DECRYPT\tEnabled\tCUSTOMER\n` +
        `alias/payments\t${sym.keyId}\tSYMMETRIC_DEFAULT\tENCRYPT_DECRYPT\tEnabled\tCUSTOMER\n` +
        `alias/payments-next\t${rsa.keyId}\tRSA_2048\tSIGN_VERIFY\tDisabled\tCUSTOMER\n`,
    )
    expect(r.stderr).toBe('')
    expect(kms.calls.filter((c) => c.startsWith('DescribeKey')).sort()).toEqual([`DescribeKey ${rsa.keyId}`, `DescribeKey ${sym.keyId}`].sort())
  })

  it('--all shows the AWS managed aliases too, with empty columns where the key cannot be described', async () => {
    const { kms } = world()
    const r = await run(['list', '--all', '--json'], { kms })
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout)
    expect(rows.map((row: { alias: string }) => row.alias)).toEqual(['alias/audit', 'alias/aws/s3', 'alias/payments', 'alias/payments-next'])
    expect(rows[1]).toEqual({ alias: 'alias/aws/s3', arn: 'arn:aws:kms:us-east-1:111122223333:alias/aws/s3', targetKeyId: 'aws-owned-key', keySpec: null, keyUsage: null, keyState: null, keyManager: null, lastUpdated: null })
    // The key ID once (it was three times: ours, the adapter's subject, KMS's message).
    expect(r.stderr).toBe('warning: cannot describe key aws-owned-key: not found in us-east-1; its columns are empty\n')
  })

  it('--prefix filters by name, --key filters server-side (an alias is resolved first)', async () => {
    const { rsa, kms } = world()
    const byPrefix = await run(['list', '--prefix', 'alias/payments', '--json'], { kms })
    expect(JSON.parse(byPrefix.stdout).map((row: { alias: string }) => row.alias)).toEqual(['alias/payments', 'alias/payments-next'])
    const byKey = await run(['list', '--key', 'alias/payments-next', '--json'], { kms })
    expect(JSON.parse(byKey.stdout).map((row: { alias: string }) => row.alias)).toEqual(['alias/payments-next'])
    expect(kms.calls).toContain(`ListAliases ${rsa.keyId}`)
  })

  it('an empty result exits 0: [] in JSON, a note on a terminal, nothing when piped', async () => {
    const kms = new FakeKms()
    expect(await run(['list', '--json'], { kms })).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' })
    expect(await run(['list'], { kms })).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await run(['list'], { kms, tty: true })).toMatchObject({ code: 0, stdout: '', stderr: 'No aliases in us-east-1.\n' })
  })

  it('shows a table on a terminal', async () => {
    const { sym, kms } = world()
    const r = await run(['list', '--prefix', 'alias/audit'], { kms, tty: true, env: { NO_COLOR: '1' } })
    expect(r.stdout).toBe(
      [
        '┌─────────────┬──────────────────────────────────────┬───────────────────┬─────────────────┬─────────┬──────────┐',
        '│ alias       │ target key                           │ spec              │ usage           │ state   │ manager  │',
        `│ alias/audit │ ${sym.keyId} │ SYMMETRIC_DEFAULT │ ENCRYPT_DECRYPT │ Enabled │ CUSTOMER │`,
        '└─────────────┴──────────────────────────────────────┴───────────────────┴─────────────────┴─────────┴──────────┘',
        '',
      ].join('\n'),
    )
  })

  it('exits 2 for a bad --prefix or --key, 4 for a --key alias that does not exist', async () => {
    const { kms } = world()
    expect((await run(['list', '--prefix', 'payments'], { kms })).stderr).toBe('error: --prefix "payments" does not start with "alias/"\nhint: did you mean --prefix alias/payments?\n')
    expect((await run(['list', '--key', 'nope'], { kms })).code).toBe(2)
    const missing = await run(['list', '--key', 'alias/nope'], { kms })
    expect(missing).toMatchObject({ code: 4, stdout: '', stderr: 'error: --key alias/nope not found in us-east-1\n' })
  })

  it('refuses a --key ARN of another Region (exit 3) before any KMS call', async () => {
    // Before refuseOtherRegion, ListAliases got the key ID and listed this Region's aliases of it.
    const { sym, kms } = world()
    for (const typed of [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${sym.keyId}`, `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/payments`]) {
      const r = await run(['list', '--key', typed, '--json'], { kms })
      expect(r).toMatchObject({ code: 3, stderr: `error: --key ${typed} is in eu-west-1, but requests go to us-east-1\nhint: pass --region eu-west-1 to list there\n` })
      expect(JSON.parse(r.stdout)).toEqual({
        error: { code: 'REFUSED', message: `--key ${typed} is in eu-west-1, but requests go to us-east-1`, hint: 'pass --region eu-west-1 to list there' },
        exitCode: 3,
      })
    }
    expect(kms.calls).toEqual([])
  })

  it('refuses a --key ARN of another account (exit 3): the bare ID or name resolves in the credentials\' account', async () => {
    const { sym, kms } = world()
    for (const [typed, described] of [[`arn:aws:kms:us-east-1:999999999999:key/${sym.keyId}`, sym.keyId], ['arn:aws:kms:us-east-1:999999999999:alias/payments', 'alias/payments']] as const) {
      kms.calls.length = 0
      const r = await run(['list', '--key', typed, '--json'], { kms })
      expect(r).toMatchObject({
        code: 3,
        stderr: `error: --key ${typed} is in account 999999999999, but these credentials act on account ${ACCOUNT}\nhint: list with credentials of that account (a profile or role there)\n`,
      })
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'REFUSED' }, exitCode: 3 })
      expect(kms.calls).toEqual([`DescribeKey ${described}`])
    }
    const same = await run(['list', '--key', `arn:aws:kms:us-east-1:${ACCOUNT}:key/${sym.keyId}`, '--json'], { kms })
    expect(JSON.parse(same.stdout).map((row: { alias: string }) => row.alias)).toEqual(['alias/audit', 'alias/payments'])
  })

  it('resolves a reserved --key alias through ListAliases only, never DescribeKey on the name', async () => {
    // DescribeKey on alias/aws/<service> can create the AWS managed key (before: it was sent).
    const { kms } = world()
    for (const typed of ['alias/aws/s3', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/s3`]) {
      kms.calls.length = 0
      const r = await run(['list', '--key', typed, '--all', '--json'], { kms })
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).map((row: { alias: string }) => row.alias)).toEqual(['alias/aws/s3'])
      expect(kms.calls).toEqual(['ListAliases (all)', 'DescribeKey aws-owned-key'])
    }
    const missing = await run(['list', '--key', 'alias/aws/nope'], { kms })
    expect(missing).toMatchObject({ code: 4, stderr: 'error: --key alias/aws/nope not found in us-east-1\n' })
  })

  it('exits 7 when access is denied, with only the failure document on stdout', async () => {
    const kms = new FakeKms()
    kms.listAliases = async () => {
      throw new AccessError('ListAliases was denied: AccessDeniedException')
    }
    const r = await run(['list', '--json'], { kms })
    expect(r).toMatchObject({ code: 7, stderr: 'error: ListAliases was denied: AccessDeniedException\n' })
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'ACCESS', message: 'ListAliases was denied: AccessDeniedException' }, exitCode: 7 })
  })
})

describe('list through the SDK adapter (aws-sdk-client-mock: moto ignores Limit and Marker)', () => {
  const kmsMock = mockClient(KMSClient)
  afterEach(() => kmsMock.reset())

  it('reads every page and describes each distinct key once', async () => {
    const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
    const page = (from: number, to: number, more: boolean, marker?: string) => ({
      Aliases: Array.from({ length: to - from }, (_, i) => ({ AliasName: `alias/a${String(from + i).padStart(3, '0')}`, TargetKeyId: keyId((from + i) % 3) })),
      Truncated: more,
      ...(marker ? { NextMarker: marker } : {}),
    })
    const pages = [page(0, 100, true, 'p2'), page(100, 200, true, 'p3'), page(200, 250, false)]
    const markers: Array<string | undefined> = []
    kmsMock.on(ListAliasesCommand).callsFake((input: { Marker?: string; Limit?: number }) => {
      expect(input.Limit).toBe(100)
      markers.push(input.Marker)
      return pages.shift()
    })
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
      KeyMetadata: { KeyId: input.KeyId, Arn: `arn:aws:kms:us-east-1:111122223333:key/${input.KeyId}`, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled', KeyManager: 'CUSTOMER' },
    }))
    const ctx = testContext()
    ctx.kms = async (config) => createKmsPort({ ...config, region: 'us-east-1' })
    const code = await main(['list', '--json'], ctx)
    expect(code).toBe(0)
    const rows = JSON.parse(ctx.stdout())
    expect(rows).toHaveLength(250)
    expect(rows[249]).toMatchObject({ alias: 'alias/a249', targetKeyId: keyId(0), keyState: 'Enabled' })
    expect(markers).toEqual([undefined, 'p2', 'p3'])
    expect(kmsMock.commandCalls(DescribeKeyCommand)).toHaveLength(3)
  })
})
