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
