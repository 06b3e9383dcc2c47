// A bad journal location is a usage error (exit 2) before any AWS call, whichever command takes it.
// Each case failed before the fix: a directory ran the preflight and failed with exit 7 (EISDIR),
// a malformed s3:// location ran the preflight before its exit 2, and an update already in place
// exited 0 without looking at the bucket name at all.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

function world() {
  const a = key()
  const b = key()
  const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId } })
  return { a, b, kms }
}

const directoryRefusal = (path: string) =>
  `error: the journal ${path} is a directory, not a regular file; kms-alias reads and appends only a regular file\nhint: pass --journal <path> naming a regular file, or a path that does not exist yet\n`

const bucketRefusal = (raw: string) =>
  `error: ${raw} does not name an S3 bucket\nhint: a team journal is s3://<bucket>/<prefix>, the bucket 3 to 63 lowercase letters, digits, dots and hyphens\n`

describe('the journal location is checked first (exit 2, no AWS call)', () => {
  it.each([
    [['update', 'alias/app', '--to', 'B', '--yes']],
    [['create', 'alias/new', '--to', 'B', '--yes']],
    [['delete', 'alias/app', '--yes']],
    [['history']],
    [['undo', '--last', '--yes']],
    [['journal', 'export']],
  ])('%j with --journal <a directory> says what history says', async (args) => {
    const { a, b, kms } = world()
    const directory = mkdtempSync(join(tmpdir(), 'kms-alias-journal-dir-'))
    const r = await run([...args.map((arg) => (arg === 'B' ? b.keyId : arg)), '--journal', directory], { kms })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: directoryRefusal(directory) })
    expect(kms.calls).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  it.each(['s3://Bad_Bucket/x', 's3://', 's3://a..b/x', 's3://192.168.1.1/x', 's3://-team/x'])('update --journal %s: the bucket name is refused before the preflight', async (raw) => {
    const { a, b, kms } = world()
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--yes', '--journal', raw], { kms })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: bucketRefusal(raw) })
    expect(kms.calls).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(a.keyId)
  })

  it('an update already in place with a bad bucket name is exit 2, not exit 0', async () => {
    const { a, kms } = world()
    const r = await run(['update', 'alias/app', '--to', a.keyId, '--yes', '--journal', 's3://Bad_Bucket/x'], { kms })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: bucketRefusal('s3://Bad_Bucket/x') })
    expect(kms.calls).toEqual([])
  })

  it.each(['s3:/team-kms/prod', 's3:team-kms/prod', 'S3:/team-kms'])('%s (an s3 location with a slash missing) is refused, not taken as a local file', async (raw) => {
    const { kms } = world()
    const r = await run(['history', '--journal', raw], { kms })
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `error: ${raw} is not an s3:// location\nhint: a team journal is s3://<bucket>/<prefix>; a local journal path that starts with "s3:" can be written ./${raw}\n`,
    })
  })

  it('KMS_ALIAS_JOURNAL naming a directory is refused the same way', async () => {
    const { kms } = world()
    const directory = mkdtempSync(join(tmpdir(), 'kms-alias-journal-dir-'))
    const r = await run(['update', 'alias/app', '--to', 'x', '--yes'], { kms, journal: directory })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: directoryRefusal(directory) })
    expect(kms.calls).toEqual([])
  })
})
