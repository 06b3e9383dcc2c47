import fc from 'fast-check'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseApplyFile } from '../../src/engine/applyFile.js'
import { UsageError } from '../../src/errors.js'
import { parseAliasRef, parseKeyRef } from '../../src/kms/identifiers.js'
import { main } from '../../src/cli/main.js'
import { testContext } from '../helpers/testContext.js'

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'
const PREFIXES = ['', 'alias/', 'alias/aws/', 'arn:aws:kms:us-east-1:111122223333:alias/', 'arn:aws:kms:us-east-1:111122223333:key/', 'arn:aws:kms::1:', 'mrk-', `${KEY}`]
/** Arbitrary text, and text that starts like a real identifier so the parsers' deeper branches run. */
const identifierish = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.tuple(fc.constantFrom(...PREFIXES), fc.string()).map(([a, b]) => a + b))

/** Runs fn; it must either return or throw a UsageError. */
function parsesOrUsage(fn: () => unknown): 'ok' | 'usage' {
  try {
    fn()
    return 'ok'
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    expect((error as Error).message).not.toMatch(/\n\s+at /)
    return 'usage'
  }
}

describe('identifier parsers (fast-check)', () => {
  it('every string is an alias or a usage error', () => {
    fc.assert(
      fc.property(identifierish, (input) => {
        if (parsesOrUsage(() => parseAliasRef(input)) === 'ok') expect(parseAliasRef(input).name).toMatch(/^alias\/[a-zA-Z0-9/_-]{1,250}$/)
      }),
      { numRuns: 2000 },
    )
  })

  it('every string is a key reference or a usage error', () => {
    fc.assert(fc.property(identifierish, (input) => void parsesOrUsage(() => parseKeyRef(input))), { numRuns: 2000 })
  })

  it('well-formed alias names and ARNs always parse to the same name', () => {
    const name = fc.stringMatching(/^alias\/[a-zA-Z0-9/_-]{1,100}$/)
    fc.assert(
      fc.property(name, fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1'), (alias, region) => {
        expect(parseAliasRef(alias).name).toBe(alias)
        expect(parseAliasRef(`arn:aws:kms:${region}:111122223333:${alias}`)).toMatchObject({ name: alias, arn: { region } })
      }),
    )
  })

  it('key IDs and key ARNs always parse to the key ID', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(parseKeyRef(id)).toMatchObject({ kind: 'key', keyId: id })
        expect(parseKeyRef(`arn:aws:kms:us-east-1:111122223333:key/${id}`)).toMatchObject({ kind: 'key', keyId: id })
      }),
    )
  })
})

describe('apply files (fast-check)', () => {
  const token = fc.oneof(identifierish, fc.constantFrom('alias/a', 'alias/b', KEY, '#', '{', '}', '"', ':', ','))
  const lines = fc.array(fc.array(token, { maxLength: 4 }).map((t) => t.join(' ')), { maxLength: 8 }).map((l) => l.join('\n'))
  const json = fc.dictionary(identifierish, fc.oneof(identifierish, fc.integer(), fc.constant(null))).map((o) => JSON.stringify(o, null, 1))

  it('every file parses or is a usage error that names the file', () => {
    fc.assert(
      fc.property(fc.oneof(lines, json, fc.string()), (text) => {
        try {
          parseApplyFile(text, 'f.txt')
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError)
          expect((error as Error).message).toMatch(/^f\.txt(:\d+)?: /)
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('the CLI on bad input (fast-check): exit 2 with a message, no stack, no KMS call', () => {
  const runs = { numRuns: 150 }
  async function cli(args: string[]) {
    const ctx = testContext()
    const code = await main(args, ctx)
    return { code, stderr: ctx.stderr(), stdout: ctx.stdout(), kmsBuilt: ctx.kmsConfigs.length }
  }
  const expectUsage = (r: Awaited<ReturnType<typeof cli>>) => {
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
    expect(r.kmsBuilt).toBe(0)
  }

  it('update with a malformed alias or key', async () => {
    await fc.assert(
      fc.asyncProperty(identifierish, fc.boolean(), async (input, asAlias) => {
        const parses = parsesOrUsage(() => (asAlias ? parseAliasRef(input) : parseKeyRef(input))) === 'ok'
        fc.pre(!parses && !input.startsWith('-'))
        expectUsage(await cli(asAlias ? ['update', input, '--to', KEY] : ['update', 'alias/a', '--to', input]))
      }),
      runs,
    )
  })

  it.each(['create', 'delete', 'show'])('%s with a malformed alias', async (command) => {
    await fc.assert(
      fc.asyncProperty(identifierish, async (input) => {
        fc.pre(parsesOrUsage(() => parseAliasRef(input)) === 'usage' && !input.startsWith('-'))
        expectUsage(await cli(command === 'create' ? [command, input, '--to', KEY] : [command, input, '--yes'].slice(0, command === 'show' ? 2 : 3)))
      }),
      runs,
    )
  })

  it('apply with a malformed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-alias-prop-'))
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        fc.pre(parsesOrUsage(() => parseApplyFile(text, 'x')) === 'usage')
        const path = join(dir, 'aliases.txt')
        writeFileSync(path, text)
        expectUsage(await cli(['apply', path]))
      }),
      runs,
    )
  })
})
