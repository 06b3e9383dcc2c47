// The S3 adapter of the team journal (--journal s3://bucket/prefix): the only module that imports
// @aws-sdk/client-s3, loaded with import() and only when a team journal is in use. Built with the
// KMS adapter's settings (Region, profile, role, attempts, timeouts); the bucket's own Region is
// asked of S3 (HeadBucket), never assumed from the run's.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { AccessError, AwsError, CliError, interruptedBy } from '../errors.js'
import { sdkClientConfig, sendOptions } from '../kms/client.js'
import type { S3Config, S3Object, S3Port } from './port.js'

const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AllAccessDisabled',
  'UnrecognizedClientException',
])
const MISSING_BUCKET = new Set(['NoSuchBucket'])
// HeadBucket has no body: S3 answers a bare status, which the SDK names after it.
const PRECONDITION = new Set(['PreconditionFailed', 'ConditionalRequestConflict'])
// The SDK's default Region when none is configured: HeadBucket is answered from any Region, with
// the bucket's own in its headers.
const FALLBACK_REGION = 'us-east-1'
const PERMISSIONS_HINT = 'the team journal needs s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on its prefix (README: "Working as a team")'

/** Opens the bucket: finds its Region and returns a port acting there. */
export async function createS3Port(config: S3Config): Promise<S3Port> {
  const { bucket } = config
  // Asked beside HeadBucket, not after it: the first lock needs both.
  const identity = callerIdentity(config)
  const build = (region: string | undefined) => {
    const settings: S3ClientConfig = {
      ...sdkClientConfig({ ...config, ...(region ? { region } : {}) }),
      ...(config.endpointUrl ? { endpoint: config.endpointUrl, forcePathStyle: true } : {}),
    }
    return new S3Client(settings)
  }
  const first = build(config.region)
  const configured = await first.config.region().catch(() => undefined)
  const probe = configured ? first : build(FALLBACK_REGION)
  const region = await bucketRegion(probe, config).catch((error: unknown) => {
    throw translate(error, config, 'HeadBucket', `s3://${bucket}`)
  })
  const client = region === configured ? probe : build(region)
  config.debug?.(`s3://${bucket} is in ${region}`)

  async function call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const out = await send()
      config.debug?.(`S3 ${operation} ${key}: ok in ${Math.round(performance.now() - started)} ms`)
      return out
    } catch (error) {
      config.debug?.(`S3 ${operation} ${key}: ${error instanceof Error ? error.name : 'Error'} in ${Math.round(performance.now() - started)} ms`)
      throw error
    }
  }
  const fail = (operation: string, key: string) => (error: unknown) => {
    throw translate(error, config, operation, `s3://${bucket}/${key}`)
  }
  const options = () => sendOptions(config)

  return {
    bucket,
    region,
    async create(key, body) {
      try {
        const out = await call('PutObject', key, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*', ContentType: 'application/json' }), options()))
        return out.ETag ?? ''
      } catch (error) {
        if (isPrecondition(error)) return null
        return fail('PutObject', key)(error)
      }
    },
    async replace(key, body, etag) {
      try {
        const out = await call('PutObject', key, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfMatch: etag, ContentType: 'application/json' }), options()))
        return out.ETag ?? ''
      } catch (error) {
        if (isPrecondition(error) || isMissingKey(error)) return null
        return fail('PutObject', key)(error)
      }
    },
    async get(key): Promise<S3Object | null> {
      try {
        const out = await call('GetObject', key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options()))
        return { body: (await out.Body?.transformToString('utf8')) ?? '', etag: out.ETag ?? '' }
      } catch (error) {
        if (isMissingKey(error)) return null
        return fail('GetObject', key)(error)
      }
    },
    async deleteIfMatch(key, etag) {
      try {
        await call('DeleteObject', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }), options()))
        return true
      } catch (error) {
        if (isPrecondition(error)) return false
        if (isMissingKey(error)) return true
        return fail('DeleteObject', key)(error)
      }
    },
    async *list(prefix, startAfter) {
      let token: string | undefined
      do {
        const out = await call('ListObjectsV2', prefix, () =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
            }),
            options(),
          ),
        ).catch(fail('ListObjectsV2', prefix))
        const keys = (out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []))
        if (keys.length > 0) yield keys
        token = out.IsTruncated ? out.NextContinuationToken : undefined
      } while (token)
    },
    identity: () => identity,
  }
}

/** The caller's ARN (STS GetCallerIdentity), null when it cannot be told. */
async function callerIdentity(config: S3Config): Promise<string | null> {
  const stsEndpoint = config.env?.AWS_ENDPOINT_URL_STS || config.env?.AWS_ENDPOINT_URL || undefined
  // S3 on an emulator and STS pointed nowhere: the call would carry the emulator's test
  // credentials to AWS's real STS. The holder is then named by host and process only.
  if (config.endpointUrl && !stsEndpoint) return null
  try {
    const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts')
    const sts = new STSClient({ ...sdkClientConfig(config), ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) })
    const out = await sts.send(new GetCallerIdentityCommand({}), sendOptions(config))
    return out.Arn ?? null
  } catch {
    // Who holds a lock is a courtesy to whoever waits on it; the lock's token decides.
    return null
  }
}

async function bucketRegion(client: S3Client, config: S3Config): Promise<string> {
  try {
    const out = await client.send(new HeadBucketCommand({ Bucket: config.bucket }), sendOptions(config))
    if (out.BucketRegion) return out.BucketRegion
  } catch (error) {
    // Asked in another Region, S3 answers 301 (or 400) and names the bucket's Region in a header.
    const answered = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers?.['x-amz-bucket-region']
    if (answered) return answered
    throw error
  }
  return client.config.region()
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode

function isPrecondition(error: unknown): boolean {
  return error instanceof Error && (PRECONDITION.has(error.name) || statusOf(error) === 412 || statusOf(error) === 409)
}

function isMissingKey(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchKey' || (error.name === 'NotFound' && statusOf(error) === 404))
}

function translate(error: unknown, config: S3Config, operation: string, subject: string): unknown {
  if (error instanceof CliError) return error
  if (!(error instanceof Error)) return error
  if (error.name === 'AbortError' || config.signal?.aborted) return interruptedBy(config.signal)
  const status = statusOf(error)
  if (MISSING_BUCKET.has(error.name) || (operation === 'HeadBucket' && status === 404)) {
    return new AccessError(`the journal bucket ${config.bucket} does not exist (${operation} ${subject})`, 'create it (README: "Working as a team"), or check the bucket name in --journal / KMS_ALIAS_JOURNAL')
  }
  if (DENIED.has(error.name) || status === 403) {
    return new AccessError(`S3 refused ${operation} of ${subject}: ${error.name}${error.message ? `: ${error.message}` : ''}`, PERMISSIONS_HINT)
  }
  if (error.name === 'CredentialsProviderError') return new AccessError('no AWS credentials were found for the team journal', 'configure credentials as for kms-alias itself (AWS_PROFILE, --profile, the environment)')
  const code = (error as { code?: unknown }).code
  if ('$metadata' in error || typeof code === 'string' || error.name === 'TimeoutError') {
    const detail = typeof code === 'string' && code !== error.name ? `${error.name} (${code})` : error.name
    return new AwsError(
      `${operation} of ${subject} failed: ${detail}${error.message && error.message !== detail ? `: ${error.message}` : ''}`,
      error.name,
      'check the network and the S3 endpoint (AWS_ENDPOINT_URL_S3), then run again',
    )
  }
  return error
}
