// A team journal (--journal s3://bucket/prefix) against moto's S3, with the built CLI. A "machine"
// is a HOME of its own (its own local state directory and lock files) pointing at the same prefix:
// only the S3 lock and journal can join them. KMS goes through the fault proxy (to hold UpdateAlias
// at a given moment); S3 is moto's, reached directly.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DescribeKeyCommand } from '@aws-sdk/client-kms'
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { lockName } from '../../src/engine/store.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { aliasOnNewKey, BIN, cli, cliEnv, createKey, mappingFile, moto, MOTO_ACCOUNT, motoUrl, REGION, targetOf, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const bucket = `kms-alias-team-${randomUUID().slice(0, 8)}`
const s3 = () => new S3Client({ region: 'us-east-1', endpoint: motoUrl(), forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })

beforeAll(async () => {
  await s3().send(new CreateBucketCommand({ Bucket: bucket }))
})

/** A machine of the team: a HOME of its own, the team journal at `prefix`, KMS through the fault proxy. */
function machine(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    HOME: mkdtempSync(join(tmpdir(), 'kms-alias-machine-')),
    AWS_ENDPOINT_URL_KMS: proxy.url,
    AWS_ENDPOINT_URL_S3: motoUrl(),
    KMS_ALIAS_JOURNAL: `s3://${bucket}/${prefix}`,
    ...extra,
  })
}

const freshPrefix = (label: string) => `${label}-${randomUUID().slice(0, 8)}`
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>

interface HistoryEntry {
  id: string
  alias: string
  action: string
  previousKeyId: string | null
  newKeyId: string | null
  command: string
  reverts: string | null
  runId: string | null
  changed: boolean | null
  certain: boolean
  by?: { identity: string | null; host: string }
}
const historyOf = async (env: Record<string, string>): Promise<HistoryEntry[]> => {
  const r = await cli(['history', '--json'], env)
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as HistoryEntry[]
}

/** Spawns the built CLI; resolves with its exit code (or signal) and output. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

async function until(test: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const MOTO_CALLER = 'arn:aws:sts::123456789012:user/moto'

describe('two machines, one alias: the S3 lock (conditional create)', () => {
  // Mechanism: with the lock object written without If-None-Match (tried once), both runs took
  // "the" lock and passed the guard read while the other's UpdateAlias was held: round 1 ended
  // with exits 0 and 6 (both sent UpdateAlias; the first one's change was overwritten).
  it('racing updates end with exactly one change and the other run exiting 5, in every round (UpdateAlias held 500 ms by the fault proxy)', async () => {
    const prefix = freshPrefix('race')
    const [a, b] = [machine(prefix), machine(prefix)]
    for (let round = 1; round <= 3; round += 1) {
      proxy.reset()
      proxy.fault('UpdateAlias', 'delay', { ms: 500 })
      const { alias, keyId } = await aliasOnNewKey(`team-race-${round}`)
      const [x, y] = [await createKey(), await createKey()]
      const runs = await Promise.all([
        cli(['update', alias, '--to', x, '--expect-current', keyId, '--json'], a),
        cli(['update', alias, '--to', y, '--expect-current', keyId, '--json'], b),
      ])
      const codes = runs.map((r) => r.code)
      expect([...codes].sort(), `round ${round}`).toEqual([0, 5])
      expect(proxy.calls('UpdateAlias'), `round ${round}`).toBe(1)
      const winner = codes[0] === 0 ? x : y
      expect(await targetOf(alias)).toBe(winner)
      const loser = runs[codes[0] === 0 ? 1 : 0]!
      expect(json(loser.stdout)).toMatchObject({ changed: false, exitCode: 5 })
      // The team journal holds the one change, made by the winner.
      const entries = (await historyOf(machine(prefix))).filter((e) => e.alias === alias)
      expect(entries.map((e) => [e.action, e.previousKeyId, e.newKeyId, e.changed])).toEqual([['update', keyId, winner, true]])
    }
  })
})

describe('a lock another machine holds', () => {
  it('waits KMS_ALIAS_LOCK_WAIT, then exits 5 naming the holder (who, which host, which process); --no-journal in the team\'s shell still takes the team lock', async () => {
    const prefix = freshPrefix('held')
    const { alias, keyId } = await aliasOnNewKey('team-held')
    const next = await createKey()
    // A live holder on another machine: its lease runs for another minute.
    const holder = { alias, region: REGION, account: MOTO_ACCOUNT, host: 'ci-runner-3', pid: 777, identity: 'arn:aws:iam::123456789012:user/bob', token: 't', leaseSeconds: 60, renewed: new Date().toISOString(), expires: Date.now() + 60_000 }
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/locks/${lockName(holder)}.json`, Body: JSON.stringify(holder) }))
    for (const args of [[], ['--no-journal']]) {
      const r = await cli(['update', alias, '--to', next, ...args], machine(prefix, { KMS_ALIAS_LOCK_WAIT: '0.5' }))
      expect(r.code).toBe(5)
      expect(r.stderr).toContain(
        `error: another kms-alias run (arn:aws:iam::123456789012:user/bob on ci-runner-3, process 777) is changing ${alias}; nothing was changed\n`,
      )
    }
    expect(proxy.calls('UpdateAlias')).toBe(0)
    expect(await targetOf(alias)).toBe(keyId)
  })

  // Failed before: a key-state write said "another kms-alias run on this machine" whoever held it.
  it('retire --disable waits for a team lock on the key, then exits 5 naming the holder; the key stays Enabled', async () => {
    const prefix = freshPrefix('held-key')
    const keyId = await createKey()
    const holder = { alias: `key/${keyId}`, region: REGION, account: MOTO_ACCOUNT, host: 'ci-runner-4', pid: 778, identity: 'arn:aws:iam::123456789012:user/carol', token: 't', leaseSeconds: 60, renewed: new Date().toISOString(), expires: Date.now() + 60_000 }
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/locks/${lockName(holder)}.json`, Body: JSON.stringify(holder) }))
    const r = await cli(['retire', keyId, '--disable', '--yes', '--allow-unknown-usage'], machine(prefix, { KMS_ALIAS_LOCK_WAIT: '0.5' }))
    expect(r.code).toBe(5)
    expect(r.stderr).toContain(`error: another kms-alias run (arn:aws:iam::123456789012:user/carol on ci-runner-4, process 778) is changing ${keyId}; nothing was changed\n`)
    expect(proxy.calls('DisableKey')).toBe(0)
    expect((await moto().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled')
  })
})

describe('history and undo across machines', () => {
  it("one machine's change is in another's history (with who made it) and undone from there; a third machine sees both", async () => {
    const prefix = freshPrefix('undo')
    const [a, b, c] = [machine(prefix), machine(prefix), machine(prefix)]
    const { alias, keyId } = await aliasOnNewKey('team-undo')
    const next = await createKey()
    expect((await cli(['update', alias, '--to', next, '--json'], a)).code).toBe(0)
    const [made] = await historyOf(b)
    expect(made).toMatchObject({ alias, action: 'update', previousKeyId: keyId, newKeyId: next, changed: true, by: { identity: MOTO_CALLER, host: hostname() } })
    const undo = await cli(['undo', '--last', '--yes'], b)
    expect(undo.code).toBe(0)
    expect(undo.stderr).toContain(`${made!.id} was made by ${MOTO_CALLER} on ${hostname()} at `)
    expect(await targetOf(alias)).toBe(keyId)
    const seen = await historyOf(c)
    expect(seen.map((e) => [e.command, e.previousKeyId, e.newKeyId, e.reverts])).toEqual([
      ['undo', next, keyId, made!.id],
      ['update', keyId, next, null],
    ])
    // Nothing left to undo from any machine: the undo is never undone by --last.
    const again = await cli(['undo', '--last', '--yes'], a)
    expect(again.code).toBe(4)
    expect(again.stderr).toContain('error: the journal has no change left to undo')
  })

  it('an apply run on one machine: another machine lists it with history --run and reverts it whole with undo --last', async () => {
    const prefix = freshPrefix('apply')
    const [a, b] = [machine(prefix), machine(prefix)]
    const next = await createKey()
    const [p, q] = [await aliasOnNewKey('team-apply-p'), await aliasOnNewKey('team-apply-q')]
    const applied = await cli(['apply', mappingFile([`${p.alias} ${next}`, `${q.alias} ${next}`]), '--yes', '--json'], a)
    expect(applied.code).toBe(0)
    const runId = (json(applied.stdout) as { runId: string }).runId
    const listed = await cli(['history', '--run', runId, '--json'], b)
    expect(listed.code).toBe(0)
    expect((JSON.parse(listed.stdout) as HistoryEntry[]).map((e) => [e.alias, e.newKeyId, e.runId]).sort()).toEqual(
      [
        [p.alias, next, runId],
        [q.alias, next, runId],
      ].sort(),
    )
    const undo = await cli(['undo', '--last', '--yes'], b)
    expect(undo.code).toBe(0)
    expect([await targetOf(p.alias), await targetOf(q.alias)]).toEqual([p.keyId, q.keyId])
  })

  it('undo of one entry from two machines at once reverts it once; the other exits 5 (UpdateAlias held 500 ms)', async () => {
    const prefix = freshPrefix('undo-twice')
    const [a, b, c] = [machine(prefix), machine(prefix), machine(prefix)]
    const { alias, keyId } = await aliasOnNewKey('team-undo-twice')
    const next = await createKey()
    expect((await cli(['update', alias, '--to', next], a)).code).toBe(0)
    const [made] = await historyOf(a)
    proxy.reset()
    proxy.fault('UpdateAlias', 'delay', { ms: 500 })
    const runs = await Promise.all([cli(['undo', made!.id, '--yes', '--json'], b), cli(['undo', made!.id, '--yes', '--json'], c)])
    expect(runs.map((r) => r.code).sort()).toEqual([0, 5])
    expect(proxy.calls('UpdateAlias')).toBe(1)
    expect(await targetOf(alias)).toBe(keyId)
    expect((await historyOf(a)).filter((e) => e.reverts === made!.id)).toHaveLength(1)
  })
})

describe('a killed run (kill -9)', () => {
  // Mechanism: with the intent stored after UpdateAlias instead of before it (tried once), the
  // killed run left nothing in the team journal: the other machine's history had no entry.
  it('killed after its intent object and during UpdateAlias: another machine shows the entry as unknown, takes over its lock once the lease ran out, and undoes it', async () => {
    const prefix = freshPrefix('kill')
    const { alias, keyId } = await aliasOnNewKey('team-kill')
    const next = await createKey()
    // A short lease, so that the dead holder's lock is taken over within the test.
    const a = machine(prefix, { KMS_ALIAS_LOCK_LEASE: '1' })
    const b = machine(prefix)
    proxy.fault('UpdateAlias', 'delay', { ms: 800 })
    const run = spawnCli(['update', alias, '--to', next, '--json'], a)
    await until(() => proxy.calls('UpdateAlias') >= 1)
    run.child.kill('SIGKILL')
    expect((await run.done).signal).toBe('SIGKILL')
    // The lock object of the dead run is still there.
    const locks = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/locks/` }))
    expect(locks.KeyCount).toBe(1)
    const [entry] = await historyOf(b)
    expect(entry).toMatchObject({ alias, action: 'update', previousKeyId: keyId, newKeyId: next, changed: null, certain: false })
    // The held call still reaches moto; undo (guarded on the new key) puts the old one back.
    await until(async () => (await targetOf(alias)) === next)
    const undo = await cli(['undo', entry!.id, '--yes', '--json'], b)
    expect(undo.code).toBe(0)
    expect(await targetOf(alias)).toBe(keyId)
    // The undo released the lock it took over: no lock object is left.
    const after = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/locks/` }))
    expect(after.KeyCount).toBe(0)
  })
})

describe('S3 out of reach or refusing: nothing is changed, and nothing falls back to a local file', () => {
  it('an unreachable S3 endpoint: exit 8, the alias untouched, no UpdateAlias sent', async () => {
    const { alias, keyId } = await aliasOnNewKey('team-unreachable')
    const next = await createKey()
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
    const env = machine(freshPrefix('unreachable'), { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' })
    const r = await cli(['update', alias, '--to', next, '--json'], env)
    expect(r.code).toBe(8)
    expect(json(r.stdout)).toMatchObject({ changed: false, exitCode: 8, error: { code: 'AWS' } })
    expect(r.stderr).toMatch(new RegExp(`^error: cannot take the lock for ${alias}: HeadBucket of s3://${bucket} failed: .*; nothing was changed$`, 'm'))
    expect(proxy.calls('UpdateAlias')).toBe(0)
    expect(await targetOf(alias)).toBe(keyId)
  })

  it('a bucket that does not exist: exit 7 with a hint, the alias untouched', async () => {
    const { alias, keyId } = await aliasOnNewKey('team-nobucket')
    const next = await createKey()
    const env = machine('x', { KMS_ALIAS_JOURNAL: 's3://kms-alias-no-such-bucket/team' })
    const r = await cli(['update', alias, '--to', next], env)
    expect(r.code).toBe(7)
    expect(r.stderr).toContain(
      `error: cannot take the lock for ${alias}: the journal bucket kms-alias-no-such-bucket does not exist (HeadBucket s3://kms-alias-no-such-bucket); nothing was changed\nhint: create it (README: "Working as a team"), or check the bucket name in --journal / KMS_ALIAS_JOURNAL\n`,
    )
    expect(proxy.calls('UpdateAlias')).toBe(0)
    expect(await targetOf(alias)).toBe(keyId)
  })
})

describe('journal export and import: a local journal into a team one', () => {
  it('export prints the local journal as JSON lines; import stores them once (a second import adds nothing); the team history is the local one and undo works from it', async () => {
    const local = cliEnv({ HOME: mkdtempSync(join(tmpdir(), 'kms-alias-machine-')), AWS_ENDPOINT_URL_KMS: proxy.url })
    const { alias, keyId } = await aliasOnNewKey('team-import')
    const [x, y] = [await createKey(), await createKey()]
    expect((await cli(['update', alias, '--to', x], local)).code).toBe(0)
    expect((await cli(['update', alias, '--to', y], local)).code).toBe(0)
    const exported = await cli(['journal', 'export'], local)
    expect(exported.code).toBe(0)
    expect(exported.stderr).toBe('')
    const lines = exported.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; id: string })
    // Each change: its intent, the outcome once the call returned, the outcome once confirmed.
    expect(lines.map((l) => l.type)).toEqual(['intent', 'outcome', 'outcome', 'intent', 'outcome', 'outcome'])
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-export-')), 'journal.jsonl')
    writeFileSync(file, exported.stdout)

    const prefix = freshPrefix('import')
    const team = machine(prefix)
    const first = await cli(['journal', 'import', file], team)
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toBe(`s3://${bucket}/${prefix}/\t6\t6\t0\t0\n`)
    const again = await cli(['journal', 'import', file, '--json'], team)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual({ into: `s3://${bucket}/${prefix}/`, lines: 6, written: 0, present: 6, skipped: 0 })

    const localHistory = await historyOf(local)
    expect(await historyOf(machine(prefix))).toEqual(localHistory)
    expect(localHistory.map((e) => [e.previousKeyId, e.newKeyId])).toEqual([
      [x, y],
      [keyId, x],
    ])
    const undo = await cli(['undo', '--last', '--yes'], machine(prefix))
    expect(undo.code).toBe(0)
    expect(await targetOf(alias)).toBe(x)
  })

  it('import into a local journal is a usage error (exit 2); nothing is written', async () => {
    const local = cliEnv({ HOME: mkdtempSync(join(tmpdir(), 'kms-alias-machine-')) })
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-export-')), 'journal.jsonl')
    writeFileSync(file, '')
    const r = await cli(['journal', 'import', file], local)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: journal import writes into a team journal, and .* is a local file\nhint: pass --journal s3:\/\/<bucket>\/<prefix>/)
  })
})

const TEST_KEYS = 'aws_access_key_id = testing\naws_secret_access_key = testing\n'

describe("S3's endpoint from the profile (path-style addressing)", () => {
  // Defect (issue 22's open item 2): failed before the fix (tried once), when only AWS_ENDPOINT_URL_S3
  // or AWS_ENDPOINT_URL turned path style on: the profile's endpoint was addressed by host name,
  // <bucket>.localhost, which does not resolve, and the run exited 8 with nothing changed. Named
  // localhost, not 127.0.0.1: the SDK addresses an IP endpoint by path whatever it is told.
  it.each([
    ['endpoint_url in the profile', (url: string) => `[profile team]\n${TEST_KEYS}endpoint_url = ${url}\n`],
    ['an s3 endpoint_url in the services section the profile names', (url: string) => `[profile team]\n${TEST_KEYS}services = local\n\n[services local]\ns3 =\n  endpoint_url = ${url}\n`],
  ])('%s: the team journal is reached by path, the update is journaled and another machine sees it', async (_label, profile) => {
    const prefix = freshPrefix('profile')
    const home = mkdtempSync(join(tmpdir(), 'kms-alias-profile-'))
    const configFile = join(home, 'config')
    writeFileSync(configFile, profile(motoUrl().replace('127.0.0.1', 'localhost')))
    const env = machine(prefix, { AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'team' })
    // The profile carries the test keys: with the variables too, kms-alias warns that it ignores them.
    delete env.AWS_ENDPOINT_URL_S3
    delete env.AWS_ACCESS_KEY_ID
    delete env.AWS_SECRET_ACCESS_KEY
    const { alias, keyId } = await aliasOnNewKey('team-profile')
    const next = await createKey()
    const r = await cli(['update', alias, '--to', next, '--json'], env)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(await targetOf(alias)).toBe(next)
    const [made] = await historyOf(machine(prefix))
    expect(made).toMatchObject({ alias, previousKeyId: keyId, newKeyId: next, changed: true })
  })
})
