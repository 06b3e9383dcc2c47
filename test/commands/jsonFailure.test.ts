import { describe, expect, it } from 'vitest'
import { AccessError } from '../../src/errors.js'
import { FakeKms, key, REGION } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

const MISSING = '11111111-2222-4333-8444-555555555555'

function world() {
  const app = key()
  return { app, kms: new FakeKms({ keys: [app], aliases: { 'alias/app': app.keyId } }) }
}

// Before: these failures printed only the error on stderr and nothing on stdout under --json, so a
// script reading the document found none; each case below failed on `stdout`.
describe('read-only commands that fail under --json print one document with error and exitCode', () => {
  it.each([
    ['show of a missing alias', ['show', 'alias/nope'], 4, { code: 'NOT_FOUND', message: `alias alias/nope not found in ${REGION}` }],
    [
      'show of a malformed alias',
      ['show', 'app'],
      2,
      { code: 'USAGE', message: 'alias "app" is not an alias name', hint: 'alias names start with "alias/" (did you mean alias/app?)' },
    ],
    ['list --key of a missing alias', ['list', '--key', 'alias/nope'], 4, { code: 'NOT_FOUND', message: `--key alias/nope not found in ${REGION}` }],
    [
      'list with a malformed --prefix',
      ['list', '--prefix', 'app'],
      2,
      { code: 'USAGE', message: '--prefix "app" does not start with "alias/"', hint: 'did you mean --prefix alias/app?' },
    ],
    [
      'list --regions with a missing --key',
      ['list', '--regions', 'us-east-1', '--key', 'alias/nope'],
      4,
      { code: 'NOT_FOUND', message: `--key alias/nope not found in ${REGION}` },
    ],
    ['compare with a missing new key', ['compare', 'alias/app', MISSING], 4, { code: 'NOT_FOUND', message: `<new> ${MISSING} not found in ${REGION}` }],
  ] as const)('%s', async (_name, args, code, error) => {
    const { kms } = world()
    const r = await run([...args, '--json'], { kms })
    expect(r.code).toBe(code)
    expect(JSON.parse(r.stdout)).toEqual({ error, exitCode: code })
    expect(r.stderr).toBe(`error: ${error.message}\n${'hint' in error ? `hint: ${error.hint}\n` : ''}`)
    expect(kms.mutations()).toEqual([])
  })

  it('an access failure (no Region) is exit 7 with the document', async () => {
    const kms = new FakeKms({ region: new AccessError('no AWS Region is configured', 'pass --region') })
    const r = await run(['list', '--json'], { kms })
    expect(r.code).toBe(7)
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'ACCESS', message: 'no AWS Region is configured', hint: 'pass --region' }, exitCode: 7 })
  })

  it('without --json nothing goes to stdout', async () => {
    const r = await run(['compare', 'alias/app', MISSING], { kms: world().kms })
    expect(r).toMatchObject({ code: 4, stdout: '', stderr: `error: <new> ${MISSING} not found in ${REGION}\n` })
  })
})

// Before (found in review): these failed before their command printed anything, so stdout stayed
// empty under --json; main now answers them with the failure document. Each case failed on stdout.
describe('every command that fails before printing, under --json, prints the failure document', () => {
  it.each([
    ['history --since bogus', ['history', '--since', 'bogus'], { code: 'USAGE', message: '--since bogus is neither a duration nor a date' }],
    ['rotate without --yes off a terminal', ['rotate', 'alias/app'], { code: 'USAGE', message: '--yes is required to rotate when not running interactively' }],
    ['list --regions with a bad Region', ['list', '--regions', 'bogus'], { code: 'USAGE', message: '--regions: "bogus" is not a Region name' }],
    [
      'update --regions with --region',
      ['update', 'alias/app', '--to', 'alias/app', '--regions', 'us-east-1', '--region', 'us-east-1'],
      { code: 'USAGE', message: '--region and --regions cannot be used together' },
    ],
    ["commander's own usage error", ['update', 'alias/app'], { code: 'USAGE', message: "required option '--to <key>' not specified" }],
  ] as const)('%s: exit 2', async (_name, args, error) => {
    const { kms } = world()
    for (const json of [['--json'], ['-o', 'json'], ['--output=json']]) {
      const r = await run([...args, ...json], { kms })
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout)).toMatchObject({ error, exitCode: 2 })
    }
    expect(kms.mutations()).toEqual([])
  })

  it('a document the command printed itself is not followed by a second one', async () => {
    const { kms } = world()
    const r = await run(['show', 'alias/nope', '--json'], { kms })
    expect(r.code).toBe(4)
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 4 })
  })

  it('without --json (or after --) stdout stays empty', async () => {
    const { kms } = world()
    for (const args of [['history', '--since', 'bogus'], ['update', 'alias/app']]) {
      const r = await run(args, { kms })
      expect(r).toMatchObject({ code: 2, stdout: '' })
    }
  })
})
