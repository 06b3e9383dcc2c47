import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { homelessProfileEnv } from '../../src/kms/profiles.js'
import { aliasOnNewKey, BIN, cliEnv, createKey, journalEntries, targetOf, type CliResult } from './harness.js'

// A uid with no passwd entry: os.homedir() throws for it when HOME is unset, as in a container run
// with an arbitrary uid. Starting a process as another uid needs root and setpriv.
const UID = 54_321
const canSwitchUser = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0

function cliAsHomeless(args: string[], env: Record<string, string>): Promise<CliResult> {
  const setpriv = ['--reuid', String(UID), '--regid', String(UID), '--clear-groups', process.execPath, BIN, ...args]
  return new Promise((resolve) => {
    execFile('setpriv', setpriv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

type HomeCase = [name: string, env: Record<string, string>, home: () => string, expected: Record<string, string>]

describe('no HOME and no passwd entry (issue 19.21)', () => {
  it.each<HomeCase>([
    ['a home is found: nothing changes', { HOME: '/home/u' }, () => '/home/u', {}],
    ['no HOME, but os.homedir() answers: nothing changes', {}, () => '/home/u', {}],
    [
      'no home at all: no profile files, and the SDK a home with nothing under it',
      {},
      (): string => {
        throw new Error('uv_os_homedir returned ENOENT')
      },
      { USERPROFILE: '/dev/null', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    ],
    [
      'no home, but the profile files are named: they are kept',
      { AWS_CONFIG_FILE: '/etc/aws/config' },
      (): string => {
        throw new Error('uv_os_homedir returned ENOENT')
      },
      { USERPROFILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    ],
  ])('homelessProfileEnv: %s', (_name, env, home, expected) => {
    expect(homelessProfileEnv(env, home, '/dev/null')).toEqual(expected)
  })

  // Failed before the fix: both commands exited 1 with "uv_os_homedir returned ENOENT".
  it.skipIf(!canSwitchUser)('list and update run without a profile, with credentials from the environment (built CLI as a uid with no passwd entry)', async () => {
    const { alias, keyId } = await aliasOnNewKey('homeless')
    const next = await createKey()
    const folder = mkdtempSync(join(tmpdir(), 'kms-alias-homeless-'))
    chmodSync(folder, 0o777)
    const journal = join(folder, 'journal.jsonl')
    const env = cliEnv({ HOME: undefined, TMPDIR: folder, KMS_ALIAS_JOURNAL: journal })
    const list = await cliAsHomeless(['list', '--key', keyId, '--json'], env)
    expect(list).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(list.stdout).map((a: { alias: string }) => a.alias)).toContain(alias)
    const update = await cliAsHomeless(['update', alias, '--to', next, '--expect-current', keyId, '--json'], env)
    expect(update.code).toBe(0)
    expect(await targetOf(alias)).toBe(next)
    expect((await journalEntries(journal)).map((e) => [e.alias, e.previousKeyId, e.newKeyId])).toEqual([[alias, keyId, next]])
  })
})
