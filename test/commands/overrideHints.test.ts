// Every hint names only flags the command giving it accepts (issue 18 item 3). For each command that
// moves an alias and each blocking finding it can give, the command is run on the fake KMS port so
// that the finding occurs; every flag named by a finding's message or the error's hint must be one
// of that command's options. Before the overrides were decided once, undo's and undo --run's
// GRANTS_MISSING named --allow-access-change, which they rejected: this test failed there.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { createProgram } from '../../src/cli/program.js'
import type { KeyInfo } from '../../src/kms/port.js'
import { ACCOUNT, FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { defaultJournal, testContext } from '../helpers/testContext.js'

const ROOT = `arn:aws:iam::${ACCOUNT}:root`
const APP = `arn:aws:iam::${ACCOUNT}:role/app`
const policy = (...principals: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: principals.map((p) => ({ Effect: 'Allow', Principal: { AWS: p }, Action: p === ROOT ? 'kms:*' : 'kms:Decrypt', Resource: '*' })) })

type Code = 'TARGET_NOT_ENABLED' | 'KEY_SPEC_MISMATCH' | 'GRANTS_MISSING' | 'ACCESS_NARROWED'

/** A current key C and a target T such that moving an alias from C to T gives `code`. */
function keysFor(code: Code): { c: KeyInfo; t: KeyInfo; options: ConstructorParameters<typeof FakeKms>[0] } {
  const rsa = (keySpec: string) => key({ keySpec, keyUsage: 'SIGN_VERIFY', encryptionAlgorithms: [], signingAlgorithms: ['RSASSA_PSS_SHA_256'] })
  const c = code === 'KEY_SPEC_MISMATCH' ? rsa('RSA_2048') : key()
  const t = code === 'KEY_SPEC_MISMATCH' ? rsa('RSA_4096') : key(code === 'TARGET_NOT_ENABLED' ? { keyState: 'Disabled' } : {})
  const grants = code === 'GRANTS_MISSING' ? { [c.keyId]: [{ grantId: 'g', granteePrincipal: APP, operations: ['Decrypt'] }] } : {}
  const policies = { [c.keyId]: code === 'ACCESS_NARROWED' ? policy(ROOT, APP) : policy(ROOT), [t.keyId]: policy(ROOT) }
  return { c, t, options: { keys: [c, t], grants, policies } }
}

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-')), 'aliases.txt')
  writeFileSync(path, text)
  return path
}
const ALL_OVERRIDES = ['--allow-spec-change', '--allow-disabled', '--allow-access-change']

/** How each command is brought to move alias/app from C to T; returns its argv and the port. */
const scenarios: Record<string, { codes: Code[]; setUp: (code: Code) => Promise<{ argv: string[]; kms: FakeKms; journal: string }> }> = {
  update: {
    codes: ['TARGET_NOT_ENABLED', 'KEY_SPEC_MISMATCH', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      return { argv: ['update', 'alias/app', '--to', t.keyId, '--yes'], kms: new FakeKms({ ...options, aliases: { 'alias/app': c.keyId } }), journal: defaultJournal() }
    },
  },
  'update --regions': {
    codes: ['TARGET_NOT_ENABLED', 'KEY_SPEC_MISMATCH', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      const kms = new FakeKms({ ...options, aliases: { 'alias/app': c.keyId } })
      return { argv: ['update', 'alias/app', '--to', t.keyId, '--regions', 'us-east-1', '--yes'], kms, journal: defaultJournal() }
    },
  },
  apply: {
    codes: ['TARGET_NOT_ENABLED', 'KEY_SPEC_MISMATCH', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      return { argv: ['apply', file(`alias/app ${t.keyId}\n`), '--yes'], kms: new FakeKms({ ...options, aliases: { 'alias/app': c.keyId } }), journal: defaultJournal() }
    },
  },
  create: {
    codes: ['TARGET_NOT_ENABLED'],
    setUp: async (code) => {
      const { t, options } = keysFor(code)
      return { argv: ['create', 'alias/app', '--to', t.keyId], kms: new FakeKms(options), journal: defaultJournal() }
    },
  },
  compare: {
    codes: ['TARGET_NOT_ENABLED', 'KEY_SPEC_MISMATCH', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      return { argv: ['compare', c.keyId, t.keyId], kms: new FakeKms(options), journal: defaultJournal() }
    },
  },
  rotate: {
    // The planned key is like the old one and enabled: only access can narrow (no grants are copied;
    // the default policy drops the old policy's role).
    codes: ['GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, options } = keysFor(code)
      const argv = ['rotate', 'alias/app', '--yes', ...(code === 'ACCESS_NARROWED' ? ['--no-copy-policy'] : [])]
      return { argv, kms: new FakeKms({ ...options, aliases: { 'alias/app': c.keyId } }), journal: defaultJournal() }
    },
  },
  // Undo moves back: the change went from T to C with every override, so the revert goes C -> T.
  // KEY_SPEC_MISMATCH is allowed when going back (the change crossed it already), so it never blocks.
  undo: {
    codes: ['TARGET_NOT_ENABLED', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      const kms = new FakeKms({ ...options, aliases: { 'alias/app': t.keyId } })
      const journal = defaultJournal()
      expect((await run(['update', 'alias/app', '--to', c.keyId, '--yes', ...ALL_OVERRIDES], { kms, journal })).code).toBe(0)
      return { argv: ['undo', '--last', '--yes'], kms, journal }
    },
  },
  'undo --run': {
    codes: ['TARGET_NOT_ENABLED', 'GRANTS_MISSING', 'ACCESS_NARROWED'],
    setUp: async (code) => {
      const { c, t, options } = keysFor(code)
      const kms = new FakeKms({ ...options, aliases: { 'alias/app': t.keyId } })
      const journal = defaultJournal()
      const applied = await run(['apply', file(`alias/app ${c.keyId}\n`), '--yes', '--json', ...ALL_OVERRIDES], { kms, journal })
      expect(applied.code).toBe(0)
      return { argv: ['undo', '--run', JSON.parse(applied.stdout).runId as string, '--yes'], kms, journal }
    },
  },
}

/** The long flags a command accepts, its own and the global ones. */
function accepted(name: string): Set<string> {
  const program = createProgram(testContext(), () => {})
  const command = program.commands.find((c) => c.name() === name) as Command
  return new Set([...program.options, ...command.options].map((o) => o.long).filter((l): l is string => l !== undefined))
}

/** Every finding message and hint in a JSON document. */
function advice(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(advice)
  if (value === null || typeof value !== 'object') return []
  const record = value as Record<string, unknown>
  const own = [record.code !== undefined && typeof record.message === 'string' && 'severity' in record ? record.message : undefined, record.hint]
  return [...own.filter((t): t is string => typeof t === 'string'), ...Object.values(record).flatMap(advice)]
}

const pairs = Object.entries(scenarios).flatMap(([command, s]) => s.codes.map((code) => [command, code] as const))

describe('hints name only flags the command accepts (fake KMS port)', () => {
  it.each(pairs)('%s giving %s', async (command, code) => {
    const scenario = scenarios[command]!
    const { argv, kms, journal } = await scenario.setUp(code)
    const r = await run([...argv, '--json'], { kms, journal })
    const doc = JSON.parse(r.stdout)
    // The finding occurs and blocks (compare reports the refusal it would give).
    expect(r.code).toBe(3)
    expect(JSON.stringify(doc)).toContain(`"code":"${code}"`)
    const named = advice(doc).flatMap((text) => text.match(/--[a-z][a-z-]*/g) ?? [])
    expect(named.length).toBeGreaterThan(0)
    const flags = accepted(argv[0]!)
    expect(named.filter((flag) => !flags.has(flag))).toEqual([])
  })
})
