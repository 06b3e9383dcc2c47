// The S3 adapter's answers moto cannot give (aws-sdk-client-mock): AccessDenied, a bucket in
// another Region answering 301 with its Region in a header, and what a refused journal write
// means for a change (nothing is sent to KMS).
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AccessError, AwsError } from '../../src/errors.js'
import { createS3Port } from '../../src/s3/client.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

const s3Mock = mockClient(S3Client)
const stsMock = mockClient(STSClient)
beforeEach(() => {
  s3Mock.reset()
  stsMock.reset()
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::111122223333:user/alice', Account: '111122223333' })
})
afterEach(() => {
  s3Mock.reset()
  stsMock.reset()
})

const s3Error = (name: string, status: number, headers: Record<string, string> = {}) =>
  Object.assign(new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name }), { $response: { statusCode: status, headers } })

describe('the S3 adapter (aws-sdk-client-mock)', () => {
  it("finds the bucket's Region from the 301 of HeadBucket asked in another Region, and works there", async () => {
    const regions: string[] = []
    s3Mock.on(HeadBucketCommand).callsFake(async (_input, getClient: () => S3Client) => {
      regions.push(await getClient().config.region())
      throw s3Error('PermanentRedirect', 301, { 'x-amz-bucket-region': 'eu-west-1' })
    })
    const port = await createS3Port({ region: 'us-east-1', bucket: 'team-kms' })
    expect(port.region).toBe('eu-west-1')
    expect(regions).toEqual(['us-east-1'])
  })

  it('AccessDenied on PutObject is an AccessError (exit 7) naming the permissions; 412 is "exists", not an error', async () => {
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' })
    s3Mock.on(PutObjectCommand, { Key: 'team/denied' }).rejects(s3Error('AccessDenied', 403))
    s3Mock.on(PutObjectCommand, { Key: 'team/taken' }).rejects(s3Error('PreconditionFailed', 412))
    const port = await createS3Port({ region: 'us-east-1', bucket: 'team-kms' })
    const denied = await port.create('team/denied', '{}').catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(AccessError)
    expect((denied as AccessError).message).toBe('S3 refused PutObject of s3://team-kms/team/denied: AccessDenied: AccessDenied')
    expect((denied as AccessError).hint).toBe(
      'the team journal needs s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on its prefix (README: "Working as a team")',
    )
    expect(await port.create('team/taken', '{}')).toBeNull()
  })

  it('a 503 from S3 after the retries is an AwsError (exit 8)', async () => {
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' })
    s3Mock.on(GetObjectCommand).rejects(s3Error('SlowDown', 503))
    const port = await createS3Port({ region: 'us-east-1', bucket: 'team-kms', maxAttempts: 1 })
    await expect(port.get('team/x')).rejects.toBeInstanceOf(AwsError)
  })
})

describe('a team journal that refuses the intent (aws-sdk-client-mock)', () => {
  it('update: AccessDenied on the intent object is exit 7, and UpdateAlias is never sent', async () => {
    const a = key()
    const b = key()
    const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId } })
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' })
    // The lock object is created; the journal line is refused.
    s3Mock.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.startsWith('team/locks/')) return { ETag: '"lock-1"' }
      throw s3Error('AccessDenied', 403)
    })
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false })
    s3Mock.on(DeleteObjectCommand).resolves({})
    const r = await run(['update', 'alias/app', '--to', b.keyId, '--journal', 's3://team-kms/team'], { kms, env: { AWS_REGION: 'us-east-1' } })
    expect(r.code).toBe(7)
    expect(r.stderr).toContain(`error: S3 refused PutObject of s3://team-kms/team/journal/`)
    expect(r.stderr).toContain(': AccessDenied: AccessDenied; nothing was changed\n')
    expect(kms.mutations()).toEqual([])
    // The lock was given back, conditional on its ETag.
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.IfMatch)).toEqual(['"lock-1"'])
  })
})
