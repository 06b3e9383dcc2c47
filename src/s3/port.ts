import type { AwsSettings } from '../kms/port.js'

/** Where a team journal lives: `s3://<bucket>/<prefix>`. */
export interface S3Location {
  bucket: string
  /** Ends with "/" unless empty. */
  prefix: string
}

/**
 * The run's AWS settings (Region, profile, role, attempts, timeout) for S3. The endpoint comes from
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (the Session resolves it; path-style addressing with one).
 */
export interface S3Config extends AwsSettings {
  bucket: string
  endpointUrl?: string
}

/** What an object holds and the ETag that conditional writes name. */
export interface S3Object {
  body: string
  etag: string
}

/**
 * The objects kms-alias keeps in one bucket: conditional creates and replaces (the lock and the
 * journal never overwrite blindly), reads, listings in key order. Implemented by s3/client.ts.
 * Failures are CliErrors: AccessError (exit 7) for a missing bucket or a refusal, AwsError (exit 8)
 * for the network and S3's own failures.
 */
export interface S3Port {
  readonly bucket: string
  /** The bucket's Region, as S3 reported it. */
  readonly region: string
  /** PutObject with If-None-Match: *: the new ETag, or null when the key exists already (412). */
  create(key: string, body: string): Promise<string | null>
  /** PutObject with If-Match: the new ETag, or null when the object changed or is gone (412, 404). */
  replace(key: string, body: string, etag: string): Promise<string | null>
  /** GetObject: null when there is no such key. */
  get(key: string): Promise<S3Object | null>
  /** DeleteObject with If-Match: false when the object changed since (412). */
  deleteIfMatch(key: string, etag: string): Promise<boolean>
  /** ListObjectsV2 under `prefix`, in key order, a page of keys at a time, starting after `startAfter`. */
  list(prefix: string, startAfter?: string): AsyncGenerator<string[]>
  /** The caller's identity (STS GetCallerIdentity's ARN), null when it cannot be told. */
  identity(): Promise<string | null>
}
