// A guard-read conflict with a team journal (moto S3) points at the journal's record of the other
// writer. Failed before the fix: the hint said only "find out who else changes this alias", though
// a kms-alias run of the team leaves its name in the team journal before it sends its change.
import { randomUUID } from 'node:crypto'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { motoUrl, REGION } from '../e2e/harness.js'

const bucket = `kms-alias-conflict-${randomUUID().slice(0, 8)}`

beforeAll(async () => {
  const raw = new S3Client({ region: REGION, endpoint: motoUrl(), forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  await raw.send(new CreateBucketCommand({ Bucket: bucket }))
})

describe('a guard conflict with a team journal', () => {
  it('says that the team history names the other writer when it was a kms-alias run; nothing is sent', async () => {
    const a = key()
    const b = key()
    const c = key()
    const kms = new FakeKms({ keys: [a, b, c], aliases: { 'alias/app': a.keyId } })
    // The prompt stands for any wait between the plan and the write: another writer moves the alias.
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--journal', `s3://${bucket}/team`], {
      kms,
      tty: true,
      answers: ['y'],
      onPrompt: () => kms.aliases.set('alias/app', c.keyId),
      env: { NO_COLOR: '1', AWS_ENDPOINT_URL_S3: motoUrl(), AWS_ENDPOINT_URL_STS: motoUrl(), AWS_REGION: REGION },
    })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain(
      `error: alias/app points to ${c.keyId}, but when this run planned the change it pointed to ${a.keyId}: another writer changed it; nothing was changed\n` +
        'hint: kms-alias history alias/app shows who, if it was a kms-alias run (the newest entry); else find out who else changes this alias, then plan again\n',
    )
    expect(kms.mutations()).toEqual([])
    expect(kms.aliases.get('alias/app')).toBe(c.keyId)
  })
})
