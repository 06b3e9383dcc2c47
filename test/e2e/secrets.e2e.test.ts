import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { aliasOnNewKey, BIN, cli, cliEnv, createKey, freshJournal, mappingFile, uniqueAlias } from './harness.js'

const SECRET = 'SeCrEt-MaRkEr-wJalrXUtnFEMI-K7MDENG'
const TOKEN = 'SeSsIoN-ToKeN-MaRkEr-FwoGZXIvYXdz'

describe('secrets never reach any output', () => {
  it('no command prints the secret key or the session token, --debug and error paths included', async () => {
    const env = cliEnv({ AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, KMS_ALIAS_JOURNAL: freshJournal() })
    const { alias, keyId } = await aliasOnNewKey('secrets')
    const next = await createKey()
    const created = uniqueAlias('secrets-created')
    const runs: string[][] = [
      ['list', '--prefix', alias],
      ['show', alias],
      ['show', uniqueAlias('secrets-missing')],
      ['update', alias, '--to', next, '--dry-run'],
      ['update', alias, '--to', next],
      ['compare', alias, keyId],
      ['update', alias, '--to', '99999999-9999-4999-8999-999999999999'],
      ['create', created, '--to', keyId],
      ['create', created, '--to', keyId],
      ['delete', created, '--yes'],
      ['apply', mappingFile([`${alias} ${keyId}`])],
      ['apply', mappingFile(['not a mapping'])],
      ['history'],
      ['undo', '--last'],
      ['undo', 'nope'],
      ['update', 'bad', '--to', 'bad'],
    ]
    for (const args of runs) {
      for (const extra of [['--debug'], ['--debug', '--json']]) {
        const r = await cli([...args, ...extra], env)
        expect(r.stdout + r.stderr, args.join(' ')).not.toContain(SECRET)
        expect(r.stdout + r.stderr, args.join(' ')).not.toContain(TOKEN)
      }
    }
    // The same with credentials the endpoint does not accept: the access error path.
    const denied = await cli(['list', '--debug'], cliEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: TOKEN }))
    expect(denied.stdout + denied.stderr).not.toContain(TOKEN)
    // 33 CLI runs; each update also reads both keys' policies, grants, tags and rotation now.
  }, 90_000)
})

describe('pipes', () => {
  it('a reader that goes away (| head) does not crash the run', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--help'], { env: cliEnv() })
      // Close our end before the child writes: its write fails with EPIPE.
      child.stdout.destroy()
      let stderr = ''
      child.stderr.on('data', (c) => (stderr += c))
      child.on('close', (code) => resolve({ code, stderr }))
    })
    expect(result).toEqual({ code: 0, stderr: '' })
  })
})
