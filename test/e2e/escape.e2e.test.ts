// Issue 19.1 in a real pseudo-terminal: the built CLI under `script` (util-linux), against moto, on a
// key whose description and tags carry terminal escapes. The bytes the terminal receives are read
// whole: not one ESC, BEL, DEL or C1 among them. Before the escaping (output/escape.ts) `show`
// sent the description's ESC]0;…BEL and ESC[2J to the pty as they were, and these tests failed.
import { execFile } from 'node:child_process'
import { CreateKeyCommand, DescribeKeyCommand, TagResourceCommand } from '@aws-sdk/client-kms'
import { beforeAll, describe, expect, it } from 'vitest'
import { BIN, cliEnv, createAlias, createKey, moto, REGION, uniqueAlias } from './harness.js'

const HOSTILE = '\x1b]0;pwned\x07\x1b[2Jwiped\x1b[31m\nsecond line\x9b1m\x7f'
const SHOWN = '\\x1b]0;pwned\\x07\\x1b[2Jwiped\\x1b[31m\\nsecond line\\x9b1m\\x7f'

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`

/** Runs the CLI with stdin, stdout and stderr on one pty; returns the bytes the pty received. */
function inPty(args: string[]): Promise<{ code: number; bytes: Buffer }> {
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  // A pty under script reports 0 columns: COLUMNS gives the tables a width. NO_COLOR: our own
  // colours are escapes too, and this test wants none at all.
  const env = cliEnv({ NO_COLOR: '1', COLUMNS: '120', TERM: 'xterm' })
  return new Promise((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { env, encoding: 'buffer', timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, bytes: stdout })
    })
  })
}

/** Bytes a terminal acts on: C0 but CR and LF (the pty writes each newline as CR LF), DEL, C1 in UTF-8. */
function controlBytes(bytes: Buffer): string[] {
  const found: string[] = []
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    if ((b < 0x20 && b !== 0x0a && b !== 0x0d) || b === 0x7f) found.push(b.toString(16))
    if (b === 0xc2 && (bytes[i + 1] ?? 0) >= 0x80 && (bytes[i + 1] ?? 0) <= 0x9f) found.push(`c2 ${(bytes[i + 1] as number).toString(16)}`)
  }
  return found
}

const text = (bytes: Buffer) => bytes.toString('utf8').replace(/\r\n/g, '\n')

let alias: string
let keyId: string
let next: string
let created: string
beforeAll(async () => {
  const out = await moto().send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: HOSTILE }))
  keyId = out.KeyMetadata?.KeyId ?? ''
  alias = uniqueAlias('escape')
  await createAlias(alias, keyId)
  await createAlias(`${alias}-keep`, keyId)
  await moto().send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'te\x1b[2Jam', TagValue: 'p\x1b]0;x\x07ay' }] }))
  next = await createKey()
  const described = await moto().send(new DescribeKeyCommand({ KeyId: keyId }))
  created = described.KeyMetadata?.CreationDate?.toISOString() ?? '-'
  // moto keeps the description as it was sent: the fixture really is hostile.
  expect(described.KeyMetadata?.Description).toBe(HOSTILE)
})

describe('in a pseudo-terminal, against moto', () => {
  it('show: the exact table, the description escaped in its cell; no raw control byte', async () => {
    const r = await inPty(['show', alias])
    expect(r.code).toBe(0)
    expect(controlBytes(r.bytes)).toEqual([])
    const arn = `arn:aws:kms:${REGION}:123456789012:key/${keyId}`
    const width = arn.length
    const row = (field: string, value: string) => `│ ${field.padEnd(16)} │ ${value.padEnd(width)} │`
    const rule = (l: string, m: string, r: string) => `${l}${'─'.repeat(18)}${m}${'─'.repeat(width + 2)}${r}`
    expect(text(r.bytes)).toBe(
      [
        rule('┌', '┬', '┐'),
        row('alias', alias),
        row('alias ARN', `arn:aws:kms:${REGION}:123456789012:${alias}`),
        row('last updated', '-'),
        row('target key', keyId),
        row('key ARN', arn),
        row('key spec', 'SYMMETRIC_DEFAULT'),
        row('key usage', 'ENCRYPT_DECRYPT'),
        row('key state', 'Enabled'),
        row('key manager', 'CUSTOMER'),
        row('origin', 'AWS_KMS'),
        row('multi-Region', 'no'),
        row('created', created),
        row('material expires', '-'),
        row('description', SHOWN),
        row('algorithms', 'SYMMETRIC_DEFAULT'),
        row('other aliases', `${alias}-keep`),
        rule('└', '┴', '┘'),
        '',
      ].join('\n'),
    )
  })

  it('update --dry-run and compare: TAGS_DIFFER escaped; no raw control byte', async () => {
    const finding =
      '! warn  TAGS_DIFFER tags of the current key that the new key lacks or sets otherwise (IAM policies may grant by aws:ResourceTag): te\\x1b[2Jam=p\\x1b]0;x\\x07ay (new key: missing)'
    const update = await inPty(['update', alias, '--to', next, '--dry-run'])
    expect(update.code).toBe(0)
    expect(controlBytes(update.bytes)).toEqual([])
    expect(text(update.bytes).split('\n').slice(-3)).toEqual([finding, `Would update ${alias}: ${keyId} → ${next}. Nothing was changed (dry run).`, ''])

    const compare = await inPty(['compare', alias, next])
    expect(compare.code).toBe(0)
    expect(controlBytes(compare.bytes)).toEqual([])
    expect(text(compare.bytes).split('\n').slice(-3)).toEqual([finding, `✓ update would point ${alias} from ${keyId} to ${next}`, ''])
  })
})
