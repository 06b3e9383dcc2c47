// How a KMS or network error becomes one of ours. Kept apart from client.ts (which loads the SDK)
// so that the in-memory KMS throws exactly what the adapter would, without loading the SDK.
import { AccessError, AwsError, CliError, ConflictError, interruptedBy, KmsRefusedError, NotFoundError, UsageError } from '../errors.js'

export const ACCESS_ERROR_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'ExpiredToken',
  // STS names its denial without the suffix (AssumeRole, GetCallerIdentity).
  'AccessDenied',
])
// NotAuthorizedException: moto and local-kms refuse an alias under alias/aws/ with it.
const REFUSAL_ERROR_NAMES = new Set(['KMSInvalidStateException', 'LimitExceededException', 'DisabledException', 'NotAuthorizedException'])
const MALFORMED_REQUEST_NAMES = new Set(['ValidationException', 'InvalidArnException', 'InvalidAliasNameException'])
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'])

const CREDENTIALS_HINT = 'set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'

export interface CallSite {
  /** The run's abort signal: an aborted request stands for the signal that stopped the run. */
  signal?: AbortSignal | undefined
  operation: string
  subject: string
  region: string
  endpoint?: string | undefined
}

/**
 * Maps an SDK or network error to one of ours; errors that are not from AWS stay as they are (bugs).
 * A translated answer of AWS keeps the error name it came with (`awsCode`), so that a caller can
 * tell apart refusals that share an exit code (DisabledException and KMSInvalidStateException).
 */
export function translateError(error: unknown, site: CallSite): unknown {
  const translated = translateAnswer(error, site)
  if (translated instanceof CliError && translated !== error && translated.awsCode === undefined && isServiceAnswer(error)) translated.awsCode = nameOf(error)
  return translated
}

/** An error AWS answered with a name of its own: not a network failure, and not a body the SDK could not read. */
function isServiceAnswer(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$fault' in error && nameOf(error) !== 'Unknown'
}

function translateAnswer(error: unknown, site: CallSite): unknown {
  if (error instanceof CliError) return error
  const name = nameOf(error)
  const message = messageOf(error)
  const code = (error as { code?: unknown } | null)?.code
  if (name === 'AbortError') return interruptedBy(site.signal)
  if (name === 'NotFoundException') return new NotFoundError(`${site.subject} not found in ${site.region}${message ? ` (${message})` : ''}`)
  if (name === 'AlreadyExistsException') {
    return new ConflictError(`${site.subject.split(' ')[0]} already exists in ${site.region}`, 'to point it to another key, use kms-alias update')
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new AccessError('no AWS credentials were found', CREDENTIALS_HINT)
  }
  if (ACCESS_ERROR_NAMES.has(name)) {
    return new AccessError(
      `${site.operation} was denied: ${name}${message ? `: ${message}` : ''}`,
      'check the credentials and that they allow this call (see "IAM permissions", docs/iam.md)',
    )
  }
  if (REFUSAL_ERROR_NAMES.has(name)) return new KmsRefusedError(`KMS refused ${site.operation} ${site.subject}: ${name}${message ? `: ${message}` : ''}`)
  if (MALFORMED_REQUEST_NAMES.has(name)) return new UsageError(`KMS rejected ${site.operation} ${site.subject} as malformed: ${message || name}`)
  // The SDK names dropped connections TimeoutError too (to retry them); the code tells them apart.
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
    return new AwsError(
      `cannot reach ${isStsOperation(site.operation) ? 'STS' : 'KMS'}${site.endpoint ? ` at ${site.endpoint}` : ''} (${code}) during ${site.operation}`,
      code,
      `check the endpoint (${endpointSettings(site.operation)}), the Region and the network`,
    )
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || code === 'ETIMEDOUT') {
    return new AwsError(
      `${site.operation} timed out${site.endpoint ? ` at ${site.endpoint}` : ''}`,
      name,
      'raise --timeout if KMS is slow, or check the endpoint',
    )
  }
  const answer = unreadableAnswer(error, name, message)
  if (answer && LATER_OPERATIONS.has(site.operation) && lacksOperation(answer)) {
    return new AwsError(
      `KMS${site.endpoint ? ` at ${site.endpoint}` : ''} does not seem to implement ${site.operation} (it answered HTTP ${answer.status} and ${answer.body}; an emulator?): when the key was last used is unknown`,
      undefined,
      `AWS KMS has ${site.operation}; against an endpoint without it, what depends on last use cannot be told`,
    )
  }
  if (answer) {
    const service = isStsOperation(site.operation) ? 'STS' : 'KMS'
    const request = `${site.operation}${site.subject ? ` ${site.subject}` : ''}`
    return new AwsError(
      `${service}${site.endpoint ? ` at ${site.endpoint}` : ''} answered ${request} with HTTP ${answer.status ?? '(no status)'} and ${answer.body}${attemptsOf(error)}`,
      undefined,
      answer.status !== undefined && answer.status >= 500 && answer.body === NO_ERROR_NAME
        ? 'the service failed without saying why; try again later, or check the endpoint'
        : `check that the endpoint is a ${service} endpoint (${endpointSettings(site.operation)})`,
    )
  }
  if (isAwsError(error)) {
    return new AwsError(`${site.operation} ${site.subject} failed${attemptsOf(error)}: ${name}${message ? `: ${message}` : ''}`, name)
  }
  return error
}

// STS (AssumeRole, GetCallerIdentity) has endpoint settings of its own; --endpoint-url is KMS's.
const isStsOperation = (operation: string) => operation === 'GetCallerIdentity' || operation === 'AssumeRole'
const endpointSettings = (operation: string) =>
  isStsOperation(operation) ? 'AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL' : "--endpoint-url, AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or the profile's endpoint_url"

export const NO_ERROR_NAME = 'no error name in its body'

// KMS operations added late (GetKeyLastUsage in 2025): KMS emulators may lack them and answer
// with their own HTML error page, which says "not implemented" better than any status could.
const LATER_OPERATIONS = new Set(['GetKeyLastUsage'])
const lacksOperation = (answer: { status: number | undefined; body: string }) =>
  answer.status !== undefined && (answer.status === 404 || answer.status >= 500) && answer.body.startsWith('a body that is not JSON')
// A media type only: the header is the server's text, and anything past the type is not needed.
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+/

/**
 * An HTTP answer the SDK could not read as KMS's JSON: a body that is not JSON (an HTML error page,
 * a proxy's text) fails deserialization as a SyntaxError; an error status whose body names no error
 * (an empty 503) becomes "Unknown: UnknownError". Neither says anything to a user but its status.
 */
export function unreadableAnswer(error: unknown, name: string, message: string): { status: number | undefined; body: string } | undefined {
  if (typeof error !== 'object' || error === null || !('$response' in error)) return undefined
  const response = (error as { $response?: { statusCode?: number; headers?: Record<string, string | undefined> } }).$response
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? response?.statusCode
  if (name === 'SyntaxError' || /Deserialization error/.test(message)) {
    const type = MEDIA_TYPE.exec(response?.headers?.['content-type'] ?? '')?.[0]
    return { status, body: `a body that is not JSON${type ? ` (${type})` : ''}` }
  }
  if (name === 'Unknown' && message === 'UnknownError') return { status, body: NO_ERROR_NAME }
  return undefined
}

function isAwsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ('$metadata' in error || '$fault' in error)
}

export function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error'
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function attemptsOf(value: unknown): string {
  const attempts = (value as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts
  return attempts ? ` (${attempts} attempt${attempts === 1 ? '' : 's'})` : ''
}
