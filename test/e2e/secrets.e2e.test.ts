import { spawn } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { aliasOnNewKey, BIN, cli, cliEnv, createKey, freshJournal, mappingFile, uniqueAlias } from './harness.js'

const SECRET = 'SeCrEt-MaRkEr-wJalrXUtnFEMI-K7MDENG'
const TOKEN = 'SeSsIoN-ToKeN-MaRkEr-FwoGZXIvYXdz'

// One test per command line (two spawns each), in order: a single test for all of them outgrew its
// time limit on a loaded machine. The lines share one alias and journal, so they run in sequence.
describe('secrets never reach any output, --debug and error paths included', () => {
  const env = cliEnv({ AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, KMS_ALIAS_JOURNAL: freshJournal() })
  const world = { alias: '', keyId: '', next: '', created: uniqueAlias('secrets-created') }
  beforeAll(async () => {
    Object.assign(world, await aliasOnNewKey('secrets'))
    world.next = await createKey()
  })
  const runs: Array<[string, () => string[]]> = [
    ['list', () => ['list', '--prefix', world.alias]],
    ['show', () => ['show', world.alias]],
    ['show (missing)', () => ['show', uniqueAlias('secrets-missing')]],
    ['update --dry-run', () => ['update', world.alias, '--to', world.next, '--dry-run']],
    ['update', () => ['update', world.alias, '--to', world.next]],
    ['compare', () => ['compare', world.alias, world.keyId]],
    ['update (missing key)', () => ['update', world.alias, '--to', '99999999-9999-4999-8999-999999999999']],
    ['create', () => ['create', world.created, '--to', world.keyId]],
    ['create (exists)', () => ['create', world.created, '--to', world.keyId]],
    ['delete', () => ['delete', world.created, '--yes']],
    ['apply', () => ['apply', mappingFile([`${world.alias} ${world.keyId}`])]],
    ['apply (bad file)', () => ['apply', mappingFile(['not a mapping'])]],
    ['history', () => ['history']],
    ['undo --last', () => ['undo', '--last']],
    ['undo (missing id)', () => ['undo', 'nope']],
    ['usage error', () => ['update', 'bad', '--to', 'bad']],
  ]
  it.each(runs)('%s', async (_name, args) => {
    for (const extra of [['--debug'], ['--debug', '--json']]) {
      const line = [...args(), ...extra]
      const r = await cli(line, env)
      expect(r.stdout + r.stderr, line.join(' ')).not.toContain(SECRET)
      expect(r.stdout + r.stderr, line.join(' ')).not.toContain(TOKEN)
    }
  })

  it('the access error path (credentials the endpoint does not accept)', async () => {
    const denied = await cli(['list', '--debug'], cliEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: TOKEN }))
    expect(denied.stdout + denied.stderr).not.toContain(TOKEN)
  })
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
