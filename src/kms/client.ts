// The only module that imports the AWS SDK. Loaded with import() so that --help and
// usage errors never pay for it.
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  paginateListAliases,
  paginateListGrants,
  paginateListResourceTags,
  UpdateAliasCommand,
  type AliasListEntry,
  type CreateKeyCommandInput,
  type GrantListEntry,
  type KeyMetadata,
} from '@aws-sdk/client-kms'
import { AccessError, AwsError, CliError, ConflictError, InterruptedError, KmsRefusedError, NotFoundError, UsageError } from '../errors.js'
import { parseArn, REGION_NAME } from './identifiers.js'
import { profileDefined, profileFiles } from './profiles.js'
import type { AliasEntry, GrantInfo, KeyInfo, KmsConfig, KmsPort, MultiRegionConfiguration } from './port.js'

// Without these the SDK waits for the OS TCP timeout (minutes) on a dead endpoint.
const CONNECTION_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 15_000
// ListAliases' maximum; a key has at most 50 aliases by default, so a filtered list is one page.
const LIST_PAGE_SIZE = 100

const ACCESS_ERROR_NAMES = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'ExpiredToken',
])
const REFUSAL_ERROR_NAMES = new Set(['KMSInvalidStateException', 'LimitExceededException', 'DisabledException'])
const MALFORMED_REQUEST_NAMES = new Set(['ValidationException', 'InvalidArnException', 'InvalidAliasNameException'])
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'])

const REGION_HINT = "pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in the profile"
const CREDENTIALS_HINT = 'set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'

export function createKmsPort(config: KmsConfig): KmsPort {
  const env = config.env ?? {}
  // A profile named by --profile or AWS_PROFILE (not the implicit default).
  const profileName = config.profile ?? (env.AWS_PROFILE || undefined)
  const client = new KMSClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.endpointUrl ? { endpoint: config.endpointUrl } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    // The SDK prints its warnings (e.g. "multiple credential sources") with console.warn unless
    // given a logger: they come to our stderr through config.warn, explained. Calls are logged by
    // --debug instead, so info and error are dropped here.
    logger: { debug() {}, info() {}, error() {}, warn: (message: unknown) => config.warn?.(explainSdkWarning(String(message), profileName)) },
    requestHandler: {
      connectionTimeout: Math.min(CONNECTION_TIMEOUT_MS, config.requestTimeoutMs ?? CONNECTION_TIMEOUT_MS),
      requestTimeout: config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Without this the handler only logs a warning (to the console) and keeps waiting.
      throwOnRequestTimeout: true,
    },
  })
  // Where requests really went (the flag, AWS_ENDPOINT_URL*, the profile, or AWS's own), so that a
  // network error can name it; every request of one client goes to the same endpoint.
  let triedEndpoint = config.endpointUrl
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number; path?: string }
      if (request.hostname) triedEndpoint = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`
      return next(args)
    },
    { step: 'build', name: 'kmsAliasEndpointRecorder' },
  )
  let regionPromise: Promise<string> | undefined

  const region = () => {
    regionPromise ??= (async () => {
      // A profile that does not exist surfaces in the SDK as "no Region" or "no credentials".
      if (profileName) {
        const files = profileFiles(env)
        if (!(await profileDefined(profileName, files))) {
          throw new AccessError(`profile "${profileName}" not found in ${files.config} or ${files.credentials}`, 'check --profile and AWS_PROFILE (aws configure list-profiles lists the profiles)')
        }
      }
      const name = await client.config.region().catch((error: unknown) => {
        throw new AccessError(`no AWS Region is configured (${messageOf(error)})`, REGION_HINT)
      })
      if (!REGION_NAME.test(name)) throw new AccessError(`"${name}" is not an AWS Region name`, `a Region name looks like us-east-1 or eu-west-2; ${REGION_HINT}`)
      return name
    })()
    return regionPromise
  }

  async function call<T>(operation: string, subject: string, send: () => Promise<T>): Promise<T> {
    const where = await region()
    const started = performance.now()
    try {
      const result = await send()
      config.debug?.(`${operation} ${subject}: ok in ${elapsed(started)}${attemptsOf(result)}`)
      return result
    } catch (error) {
      config.debug?.(`${operation} ${subject}: ${nameOf(error)} in ${elapsed(started)}${attemptsOf(error)}`)
      throw translateError(error, { operation, subject, region: where, ...(triedEndpoint ? { endpoint: triedEndpoint } : {}) })
    }
  }

  const options = () => (config.signal ? { abortSignal: config.signal } : {})

  return {
    region,
    async describeKey(keyRef) {
      const out = await call('DescribeKey', keyRef, () => client.send(new DescribeKeyCommand({ KeyId: keyRef }), options()))
      if (!out.KeyMetadata) throw new AwsError(`DescribeKey ${keyRef} returned no key metadata`)
      return toKeyInfo(out.KeyMetadata)
    },
    async listAliases(filter = {}) {
      const subject = filter.keyId ? `KeyId=${filter.keyId}` : '(all)'
      return call('ListAliases', subject, async () => {
        const entries: AliasEntry[] = []
        const pages = paginateListAliases({ client, pageSize: LIST_PAGE_SIZE }, filter.keyId ? { KeyId: filter.keyId } : {})
        for await (const page of pages) {
          if (config.signal?.aborted) throw new InterruptedError()
          for (const alias of page.Aliases ?? []) entries.push(toAliasEntry(alias))
        }
        return entries
      })
    },
    async updateAlias(aliasName, targetKeyId) {
      await call('UpdateAlias', `${aliasName} -> ${targetKeyId}`, () =>
        client.send(new UpdateAliasCommand({ AliasName: aliasName, TargetKeyId: targetKeyId }), options()),
      )
    },
    async createAlias(aliasName, targetKeyId) {
      await call('CreateAlias', `${aliasName} -> ${targetKeyId}`, () =>
        client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: targetKeyId }), options()),
      )
    },
    async deleteAlias(aliasName) {
      await call('DeleteAlias', aliasName, () => client.send(new DeleteAliasCommand({ AliasName: aliasName }), options()))
    },
    async getKeyPolicy(keyId) {
      const out = await call('GetKeyPolicy', keyId, () => client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }), options()))
      return out.Policy ?? ''
    },
    async listGrants(keyId) {
      return call('ListGrants', keyId, async () => {
        const grants: GrantInfo[] = []
        for await (const page of paginateListGrants({ client, pageSize: LIST_PAGE_SIZE }, { KeyId: keyId })) {
          if (config.signal?.aborted) throw new InterruptedError()
          for (const grant of page.Grants ?? []) grants.push(toGrantInfo(grant))
        }
        return grants
      })
    },
    async listResourceTags(keyId) {
      return call('ListResourceTags', keyId, async () => {
        const tags: Record<string, string> = {}
        for await (const page of paginateListResourceTags({ client, pageSize: LIST_PAGE_SIZE }, { KeyId: keyId })) {
          if (config.signal?.aborted) throw new InterruptedError()
          for (const tag of page.Tags ?? []) if (tag.TagKey !== undefined) tags[tag.TagKey] = tag.TagValue ?? ''
        }
        return tags
      })
    },
    async getKeyRotationStatus(keyId) {
      const out = await call('GetKeyRotationStatus', keyId, () => client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }), options()))
      return out.KeyRotationEnabled === true
    },
    async createKey(request) {
      const input: CreateKeyCommandInput = {
        KeySpec: request.keySpec as CreateKeyCommandInput['KeySpec'],
        KeyUsage: request.keyUsage as CreateKeyCommandInput['KeyUsage'],
        ...(request.description === undefined ? {} : { Description: request.description }),
        ...(request.policy === undefined ? {} : { Policy: request.policy }),
        ...(request.tags ? { Tags: Object.entries(request.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) } : {}),
      }
      const out = await call('CreateKey', `${request.keySpec}/${request.keyUsage}`, () => client.send(new CreateKeyCommand(input), options()))
      if (!out.KeyMetadata) throw new AwsError('CreateKey returned no key metadata')
      return toKeyInfo(out.KeyMetadata)
    },
    async enableKeyRotation(keyId) {
      await call('EnableKeyRotation', keyId, () => client.send(new EnableKeyRotationCommand({ KeyId: keyId }), options()))
    },
    async disableKey(keyId) {
      await call('DisableKey', keyId, () => client.send(new DisableKeyCommand({ KeyId: keyId }), options()))
    },
  }
}

function toGrantInfo(g: GrantListEntry): GrantInfo {
  const subset = g.Constraints?.EncryptionContextSubset
  const equals = g.Constraints?.EncryptionContextEquals
  return {
    grantId: g.GrantId ?? '',
    ...(g.Name ? { name: g.Name } : {}),
    ...(g.GranteePrincipal ? { granteePrincipal: g.GranteePrincipal } : {}),
    ...(g.RetiringPrincipal ? { retiringPrincipal: g.RetiringPrincipal } : {}),
    ...(g.IssuingAccount ? { issuingAccount: g.IssuingAccount } : {}),
    operations: g.Operations ?? [],
    ...(subset || equals ? { constraints: { ...(subset ? { encryptionContextSubset: subset } : {}), ...(equals ? { encryptionContextEquals: equals } : {}) } } : {}),
  }
}

function toMultiRegionConfiguration(m: KeyMetadata): MultiRegionConfiguration | undefined {
  const c = m.MultiRegionConfiguration
  if (!c?.MultiRegionKeyType) return undefined
  const place = (k: { Arn?: string | undefined; Region?: string | undefined }) => ({ arn: k.Arn ?? '', region: k.Region ?? '' })
  return {
    keyType: c.MultiRegionKeyType,
    ...(c.PrimaryKey ? { primary: place(c.PrimaryKey) } : {}),
    replicas: (c.ReplicaKeys ?? []).map(place),
  }
}

function toKeyInfo(m: KeyMetadata): KeyInfo {
  const arn = m.Arn ?? ''
  const parsed = parseArn(arn)
  return {
    keyId: m.KeyId ?? '',
    arn,
    accountId: m.AWSAccountId ?? parsed?.account ?? '',
    region: parsed?.region ?? '',
    keySpec: m.KeySpec ?? m.CustomerMasterKeySpec,
    keyUsage: m.KeyUsage,
    keyState: m.KeyState,
    keyManager: m.KeyManager,
    origin: m.Origin,
    multiRegion: m.MultiRegion === true,
    validTo: m.ValidTo,
    description: m.Description,
    creationDate: m.CreationDate,
    encryptionAlgorithms: m.EncryptionAlgorithms ?? [],
    signingAlgorithms: m.SigningAlgorithms ?? [],
    macAlgorithms: m.MacAlgorithms ?? [],
    keyAgreementAlgorithms: m.KeyAgreementAlgorithms ?? [],
    ...withMultiRegion(m),
  }
}

function withMultiRegion(m: KeyMetadata): { multiRegionConfiguration?: MultiRegionConfiguration } {
  const configuration = toMultiRegionConfiguration(m)
  return configuration ? { multiRegionConfiguration: configuration } : {}
}

function toAliasEntry(a: AliasListEntry): AliasEntry {
  return {
    name: a.AliasName ?? '',
    ...(a.AliasArn ? { arn: a.AliasArn } : {}),
    ...(a.TargetKeyId ? { targetKeyId: a.TargetKeyId } : {}),
    ...(a.LastUpdatedDate ? { lastUpdated: a.LastUpdatedDate } : {}),
  }
}

interface CallSite {
  operation: string
  subject: string
  region: string
  endpoint?: string
}

/** Maps an SDK or network error to one of ours; errors that are not from AWS stay as they are (bugs). */
export function translateError(error: unknown, site: CallSite): unknown {
  if (error instanceof CliError) return error
  const name = nameOf(error)
  const message = messageOf(error)
  const code = (error as { code?: unknown } | null)?.code
  if (name === 'AbortError') return new InterruptedError()
  if (name === 'NotFoundException') return new NotFoundError(`${site.subject} not found in ${site.region}${message ? ` (${message})` : ''}`)
  if (name === 'AlreadyExistsException') {
    return new ConflictError(`${site.subject.split(' ')[0]} already exists in ${site.region}`, 'to point it to another key, use kms-alias update')
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new AccessError('no AWS credentials were found', CREDENTIALS_HINT)
  }
  if (ACCESS_ERROR_NAMES.has(name)) {
    return new AccessError(`${site.operation} was denied: ${name}${message ? `: ${message}` : ''}`, 'check the credentials and that they allow this call (see "IAM permissions" in the README)')
  }
  if (REFUSAL_ERROR_NAMES.has(name)) return new KmsRefusedError(`KMS refused ${site.operation} ${site.subject}: ${name}${message ? `: ${message}` : ''}`)
  if (MALFORMED_REQUEST_NAMES.has(name)) return new UsageError(`KMS rejected ${site.operation} ${site.subject} as malformed: ${message || name}`)
  // The SDK names dropped connections TimeoutError too (to retry them); the code tells them apart.
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) {
    return new AwsError(`cannot reach KMS${site.endpoint ? ` at ${site.endpoint}` : ''} (${code}) during ${site.operation}`, code, 'check the endpoint (--endpoint-url, AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or the profile\'s endpoint_url), the Region and the network')
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || code === 'ETIMEDOUT') {
    return new AwsError(`${site.operation} timed out${site.endpoint ? ` at ${site.endpoint}` : ''}`, name, 'raise --timeout if KMS is slow, or check the endpoint')
  }
  if (isAwsError(error)) {
    return new AwsError(`${site.operation} ${site.subject} failed${attemptsOf(error)}: ${name}${message ? `: ${message}` : ''}`, name)
  }
  return error
}

/** The SDK's warning in our words, on one line. */
export function explainSdkWarning(message: string, profile: string | undefined): string {
  if (/Multiple credential sources/i.test(message)) {
    return `both a profile (${profile ?? 'AWS_PROFILE'}) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile's credentials are used and the variables ignored; unset one of them`
  }
  const first = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? message
  return `AWS SDK: ${first}`
}

function isAwsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ('$metadata' in error || '$fault' in error)
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function attemptsOf(value: unknown): string {
  const attempts = (value as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts
  return attempts ? ` (${attempts} attempt${attempts === 1 ? '' : 's'})` : ''
}

function elapsed(started: number): string {
  return `${Math.round(performance.now() - started)} ms`
}
