import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aliasOnNewKey, BIN, cli, cliEnv, createKey, disableKey, MOTO_ACCOUNT, motoUrl, REGION, scheduleDeletion, targetOf, uniqueAlias } from './harness.js'

const line = (...fields: string[]) => `${fields.join('\t')}\n`

describe('update against moto_server', () => {
  it('repoints the alias, confirms it, and writes nothing to stderr (no SDK warning)', async () => {
    const { alias, keyId } = await aliasOnNewKey('happy')
    const next = await createKey()
    const r = await cli(['update', alias, '--to', next])
    expect(r).toEqual({ code: 0, stdout: line('updated', alias, keyId, next, 'true', 'true'), stderr: '' })
    expect(await targetOf(alias)).toBe(next)
  })

  it('prints the JSON document and its undo command brings the old key back', async () => {
    const { alias, keyId } = await aliasOnNewKey('json-undo', 'RSA_4096', 'SIGN_VERIFY')
    const next = await createKey('RSA_3072', 'SIGN_VERIFY')
    const r = await cli(['update', alias, '--to', next, '--allow-spec-change', '--json', '--endpoint-url', motoUrl()])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({
      alias,
      region: REGION,
      outcome: 'updated',
      dryRun: false,
      changed: true,
      verified: true,
      previous: { keyId, arn: `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${keyId}`, keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY', keyState: 'Enabled' },
      target: { keyId: next, keySpec: 'RSA_3072', keyUsage: 'SIGN_VERIFY', keyState: 'Enabled' },
      findings: [
        { code: 'KEY_SPEC_MISMATCH', severity: 'warn' },
        { code: 'OLD_ARTIFACTS_NEED_OLD_KEY', severity: 'warn' },
      ],
      error: null,
      exitCode: 0,
    })
    expect(doc.undo).toBe(`kms-alias update ${alias} --to ${keyId} --expect-current ${next} --region ${REGION} --endpoint-url ${motoUrl()} --allow-spec-change`)
    expect(await targetOf(alias)).toBe(next)

    const undoArgs = (doc.undo as string).split(' ').slice(1)
    const undo = await cli(undoArgs)
    expect(undo.code).toBe(0)
    expect(undo.stdout).toBe(line('updated', alias, next, keyId, 'true', 'true'))
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('--dry-run changes nothing', async () => {
    const { alias, keyId } = await aliasOnNewKey('dry')
    const next = await createKey()
    const r = await cli(['update', alias, '--to', next, '--dry-run'])
    expect(r).toEqual({ code: 0, stdout: line('would-update', alias, keyId, next, 'false', 'false'), stderr: '' })
    expect(await targetOf(alias)).toBe(keyId)
  })

  // moto accepts every one of these UpdateAlias calls; only the preflight stands in the way.
  const refusals = [
    ['a smaller RSA key', ['RSA_4096', 'SIGN_VERIFY'], ['RSA_2048', 'SIGN_VERIFY'], [], 'KEY_SPEC_MISMATCH'],
    ['P-256 to P-384 signing', ['ECC_NIST_P256', 'SIGN_VERIFY'], ['ECC_NIST_P384', 'SIGN_VERIFY'], [], 'KEY_SPEC_MISMATCH'],
    ['symmetric to asymmetric', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['RSA_2048', 'ENCRYPT_DECRYPT'], [], 'KEY_CLASS_MISMATCH'],
    ['encryption to signing', ['RSA_2048', 'ENCRYPT_DECRYPT'], ['RSA_2048', 'SIGN_VERIFY'], [], 'KEY_USAGE_MISMATCH'],
    ['a Disabled key', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['disable'], 'TARGET_NOT_ENABLED'],
    ['a key pending deletion', ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'], ['delete'], 'TARGET_PENDING_DELETION'],
  ] as const
  it.each(refusals)('refuses %s with exit 3 and the alias still points where it did', async (_name, from, to, setup, code) => {
    const { alias, keyId } = await aliasOnNewKey('refuse', from[0], from[1])
    const next = await createKey(to[0], to[1])
    if (setup.includes('disable' as never)) await disableKey(next)
    if (setup.includes('delete' as never)) await scheduleDeletion(next)
    const r = await cli(['update', alias, '--to', next, '--json'])
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.findings.filter((f: { severity: string }) => f.severity === 'block').map((f: { code: string }) => f.code)).toContain(code)
    expect(doc).toMatchObject({ outcome: 'refused', changed: false, exitCode: 3 })
    expect(r.stderr).toMatch(/^error: refused by the preflight: /)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('--allow-disabled lets a Disabled key through with a warning', async () => {
    const { alias } = await aliasOnNewKey('allow-disabled')
    const next = await createKey()
    await disableKey(next)
    const r = await cli(['update', alias, '--to', next, '--allow-disabled', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).findings).toEqual([
      { code: 'TARGET_NOT_ENABLED', severity: 'warn', message: 'the new key is Disabled; callers fail until it is enabled' },
      // The user's flag wins over the use probe, and the output says what was skipped.
      {
        code: 'PROBE_SKIPPED',
        severity: 'info',
        message: `the new key ${next} was not probed (it is Disabled and --allow-disabled allows that), and no use probe runs after the change`,
      },
    ])
    expect(await targetOf(alias)).toBe(next)
  })

  it('refuses a key ARN in another Region before calling KMS (moto would accept it)', async () => {
    const { alias, keyId } = await aliasOnNewKey('region')
    const next = await createKey()
    const r = await cli(['update', alias, '--to', `arn:aws:kms:eu-west-1:${MOTO_ACCOUNT}:key/${next}`, '--json', '--debug'])
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['TARGET_OTHER_REGION'])
    expect(r.stderr).not.toContain('debug:')
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('refuses a reserved alias/aws/ name with exit 3', async () => {
    const next = await createKey()
    const r = await cli(['update', 'alias/aws/custom', '--to', next, '--json'])
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['RESERVED_ALIAS'])
    expect(await targetOf('alias/aws/custom')).toBeUndefined()
  })

  it('exits 4 for a missing alias, and does not create it', async () => {
    const alias = uniqueAlias('missing')
    const next = await createKey()
    const r = await cli(['update', alias, '--to', next])
    expect(r.code).toBe(4)
    expect(r.stderr).toBe(`error: alias ${alias} not found in ${REGION}\n`)
    expect(await targetOf(alias)).toBeUndefined()
  })

  it('exits 4 for a missing key', async () => {
    const { alias, keyId } = await aliasOnNewKey('missing-key')
    const r = await cli(['update', alias, '--to', '99999999-9999-4999-8999-999999999999'])
    expect(r.code).toBe(4)
    expect(r.stderr).toBe(`error: --to 99999999-9999-4999-8999-999999999999 not found in ${REGION}\n`)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('exits 0 without a change when the alias is already in place', async () => {
    const { alias, keyId } = await aliasOnNewKey('already')
    const r = await cli(['update', alias, '--to', keyId, '--debug'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(line('already-in-place', alias, keyId, keyId, 'false', 'true'))
    expect(r.stderr).not.toContain('UpdateAlias')
  })

  it('--expect-current guards the change: a mismatch exits 5, a match goes through', async () => {
    const { alias, keyId } = await aliasOnNewKey('cas')
    const next = await createKey()
    const stale = await createKey()
    const refused = await cli(['update', alias, '--to', next, '--expect-current', stale])
    expect(refused.code).toBe(5)
    expect(refused.stdout).toBe(line('conflict', alias, keyId, next, 'false', 'false'))
    expect(await targetOf(alias)).toBe(keyId)

    const allowed = await cli(['update', alias, '--to', next, '--expect-current', keyId])
    expect(allowed.code).toBe(0)
    expect(await targetOf(alias)).toBe(next)
  })

  it.each([
    ['an alias name', (target: string) => target],
    ['an alias ARN', (target: string) => `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:${target}`],
  ])('resolves --to given as %s', async (_form, form) => {
    const { alias, keyId } = await aliasOnNewKey('to-alias')
    const { alias: targetAlias, keyId: next } = await aliasOnNewKey('to-alias-target')
    const r = await cli(['update', alias, '--to', form(targetAlias)])
    expect(r).toEqual({ code: 0, stdout: line('updated', alias, keyId, next, 'true', 'true'), stderr: '' })
    expect(await targetOf(alias)).toBe(next)
  })

  it('accepts --to as a key ARN and the alias as an alias ARN', async () => {
    const { alias, keyId } = await aliasOnNewKey('arns')
    const next = await createKey()
    const r = await cli(['update', `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:${alias}`, '--to', `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${next}`])
    expect(r).toEqual({ code: 0, stdout: line('updated', alias, keyId, next, 'true', 'true'), stderr: '' })
    expect(await targetOf(alias)).toBe(next)
  })

  it('exits 7 with a hint when no Region is configured', async () => {
    const r = await cli(['update', 'alias/x', '--to', '99999999-9999-4999-8999-999999999999'], cliEnv({ AWS_REGION: undefined }))
    expect(r.code).toBe(7)
    expect(r.stdout).toBe(line('failed', 'alias/x', '-', '-', 'false', 'false'))
    expect(r.stderr).toMatch(
      /^error: no AWS Region is configured \(.*\)\nhint: pass --region, set AWS_REGION \(or AWS_DEFAULT_REGION\), or set region in the profile\n$/,
    )
  })

  it('exits 7 with a hint when there are no credentials', async () => {
    const r = await cli(
      ['update', 'alias/x', '--to', '99999999-9999-4999-8999-999999999999'],
      cliEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    )
    expect(r.code).toBe(7)
    expect(r.stderr).toBe('error: no AWS credentials were found\nhint: set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n')
  })

  it('--debug logs each KMS call and never a credential', async () => {
    const { alias } = await aliasOnNewKey('debug')
    const next = await createKey()
    const secret = 'SECRET-marker-0123456789'
    const r = await cli(['update', alias, '--to', next, '--debug'], cliEnv({ AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: 'TOKEN-marker-9876' }))
    expect(r.code).toBe(0)
    const operations = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^debug: (\w+) .*$/, '$1'))
    const access = ['GetKeyPolicy', 'GetKeyRotationStatus', 'ListGrants', 'ListResourceTags'].flatMap((op) => [op, op])
    // The use probes: Encrypt and Decrypt through the alias and on the new key before, through the alias after.
    const probes = ['Encrypt', 'Decrypt'].flatMap((op) => [op, op, op])
    expect(operations.sort()).toEqual(
      ['DescribeKey', 'DescribeKey', 'DescribeKey', ...access, ...probes, 'ListAliases', 'ListAliases', 'ListAliases', 'UpdateAlias'].sort(),
    )
    expect(r.stdout + r.stderr).not.toContain(secret)
    expect(r.stdout + r.stderr).not.toContain('TOKEN-marker')
  })

  it('runs through a symlinked bin, as a global install has it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-alias-bin-'))
    const link = join(dir, 'kms-alias')
    symlinkSync(BIN, link)
    const r = await cli(['--version'], cliEnv(), link)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('a usage error exits 2 and prints nothing on stdout', async () => {
    const r = await cli(['update', 'payments', '--to', 'x'])
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: alias "payments" is not an alias name\nhint: alias names start with "alias/" (did you mean alias/payments?)\n',
    })
  })
})
