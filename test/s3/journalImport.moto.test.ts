// journal import against moto's S3, in-process: `-` reads stdin (as apply does), and a file with no
// journal line is a usage error. Both failed before the fix: `-` was taken as a file named "-"
// ("- does not exist", exit 2), and a file without a journal line exited 0 with a warning.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { run } from '../helpers/run.js'
import { motoUrl, REGION } from '../e2e/harness.js'

const bucket = `kms-alias-import-${randomUUID().slice(0, 8)}`
const raw = () => new S3Client({ region: REGION, endpoint: motoUrl(), forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })

beforeAll(async () => {
  await raw().send(new CreateBucketCommand({ Bucket: bucket }))
})

const env = () => ({ AWS_ENDPOINT_URL_S3: motoUrl(), AWS_ENDPOINT_URL_STS: motoUrl(), AWS_REGION: REGION })
const team = () => `s3://${bucket}/import-${randomUUID().slice(0, 8)}`

async function objectCount(location: string): Promise<number> {
  const prefix = `${location.slice(`s3://${bucket}/`.length)}/`
  const out = await raw().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
  return out.KeyCount ?? 0
}

const intent = (id: string) =>
  JSON.stringify({ type: 'intent', id, time: '2026-12-01T10:00:00.000Z', action: 'update', alias: 'alias/app', region: REGION, previousKeyId: 'k1', newKeyId: 'k2' })
const outcome = (id: string) => JSON.stringify({ type: 'outcome', id, time: '2026-12-01T10:00:01.000Z', changed: true, verified: true })

describe('journal import (moto S3)', () => {
  it('- reads the lines from stdin; a second import of the same lines adds nothing', async () => {
    const location = team()
    const stdin = `${intent('e1')}\n${outcome('e1')}\n`
    const first = await run(['journal', 'import', '-', '--journal', location], { env: env(), stdin })
    expect(first).toMatchObject({ code: 0, stdout: `${location}/\t2\t2\t0\t0\n`, stderr: '' })
    expect(await objectCount(location)).toBe(2)
    const again = await run(['journal', 'import', '-', '--journal', location], { env: env(), stdin })
    expect(again).toMatchObject({ code: 0, stdout: `${location}/\t2\t0\t2\t0\n`, stderr: '' })
    expect(await objectCount(location)).toBe(2)
  })

  it.each([
    ['an empty file', ''],
    ['a file of other lines', 'alias/app 1234abcd\nnot json {\n'],
  ])('%s has no journal line: exit 2, nothing stored', async (_what, text) => {
    const location = team()
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-import-')), 'journal.jsonl')
    writeFileSync(file, text)
    const r = await run(['journal', 'import', file, '--journal', location], { env: env() })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `error: no journal line in ${file}\nhint: kms-alias journal export > journal.jsonl writes one\n` })
    expect(await objectCount(location)).toBe(0)
  })

  it('- with nothing on stdin: exit 2 naming stdin', async () => {
    const location = team()
    const r = await run(['journal', 'import', '-', '--journal', location], { env: env(), stdin: '' })
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'error: no journal line in stdin\nhint: kms-alias journal export > journal.jsonl writes one\n' })
  })
})
