// The KMS adapter, and STS (AssumeRole, GetCallerIdentity) for its credentials and account: with
// src/iam/client.ts the only module that imports the AWS SDK, and the one that says how every SDK
// client is built (sdkClientConfig). Loaded with import() so that --help and usage errors never pay
// for it.
import {
  CreateAliasCommand,
  DecapsulateCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncapsulateCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type EncapsulationAlgorithmSpec,
  type EncryptionAlgorithmSpec,
  type KeyAgreementAlgorithmSpec,
  type MacAlgorithmSpec,
  type SigningAlgorithmSpec,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  paginateListAliases,
  paginateListKeys,
  paginateListGrants,
  paginateListResourceTags,
  UpdateAliasCommand,
  CancelKeyDeletionCommand,
  EnableKeyCommand,
  GetKeyLastUsageCommand,
  ScheduleKeyDeletionCommand,
  type AliasListEntry,
  type CreateKeyCommandInput,
  type GrantListEntry,
  type KeyMetadata,
} from '@aws-sdk/client-kms'
import type { fromTemporaryCredentials } from '@aws-sdk/credential-providers'
import { loadConfig } from '@smithy/core/config'
import { ConfiguredRetryStrategy, NODE_MAX_ATTEMPT_CONFIG_OPTIONS } from '@smithy/core/retry'
import { AccessError, AwsError, CliError, interruptedBy } from '../errors.js'
import { parseArn, REGION_NAME } from './identifiers.js'
import { profileDefined, profileFiles } from './profiles.js'
import type { AliasEntry, AssumeRoleConfig, AwsSettings, GrantInfo, KeyInfo, KmsConfig, KmsPort, MultiRegionConfiguration } from './port.js'
import { ACCESS_ERROR_NAMES, attemptsOf, messageOf, nameOf, translateError } from './translate.js'

// Without these the SDK waits for the OS TCP timeout (minutes) on a dead endpoint.
const CONNECTION_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 15_000
// ListAliases' maximum; a key has at most 50 aliases by default, so a filtered list is one page.
const LIST_PAGE_SIZE = 100

const REGION_HINT = 'pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in the profile'

/**
 * What every SDK client of a run is built with (KMS and STS here, IAM in src/iam/client.ts): the
 * Region, profile, attempts, request timeouts, the SDK's warnings and the assumed role's
 * credentials, written once. The endpoint is not in it: each service reads its own.
 */
export function sdkClientConfig(settings: AwsSettings) {
  const profileName = settings.profile ?? (settings.env?.AWS_PROFILE || undefined)
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}),
    ...(settings.retryDelayMs ? { retryStrategy: retryStrategyWith(settings.retryDelayMs, settings) } : {}),
    ...(settings.role ? { credentials: assumedRoleCredentials(settings.role, settings) } : {}),
    // The SDK prints its warnings (e.g. "multiple credential sources") with console.warn unless
    // given a logger: they come to our stderr through settings.warn, explained. Calls are logged by
    // --debug instead, so info and error are dropped here.
    logger: { debug() {}, info() {}, error() {}, warn: (message: unknown) => settings.warn?.(explainSdkWarning(String(message), profileName)) },
    requestHandler: requestHandlerOf(settings),
  }
}

/**
 * The SDK's standard strategy with the waits of `retryDelayMs`; the attempts follow the chain they
 * follow without it (--max-attempts, then AWS_MAX_ATTEMPTS or the profile's max_attempts, then 3).
 */
function retryStrategyWith(retryDelayMs: (retry: number) => number, settings: Pick<AwsSettings, 'maxAttempts' | 'profile'>) {
  const attempts = settings.maxAttempts ?? loadConfig(NODE_MAX_ATTEMPT_CONFIG_OPTIONS, settings.profile ? { profile: settings.profile } : {})
  return new ConfiguredRetryStrategy(attempts, retryDelayMs)
}

function requestHandlerOf(settings: Pick<AwsSettings, 'requestTimeoutMs'>) {
  return {
    connectionTimeout: Math.min(CONNECTION_TIMEOUT_MS, settings.requestTimeoutMs ?? CONNECTION_TIMEOUT_MS),
    requestTimeout: settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    // Without this the handler only logs a warning (to the console) and keeps waiting.
    throwOnRequestTimeout: true,
  }
}

/** The options of every `send` (and paginator) of a run: the run's signal aborts the call in flight. */
export const sendOptions = (settings: Pick<AwsSettings, 'signal'>) => (settings.signal ? { abortSignal: settings.signal } : {})

export function createKmsPort(config: KmsConfig): KmsPort {
  const env = config.env ?? {}
  // A profile named by --profile or AWS_PROFILE (not the implicit default).
  const profileName = config.profile ?? (env.AWS_PROFILE || undefined)
  // Shared with STS (AssumeRole, GetCallerIdentity); --endpoint-url is for KMS only.
  const shared = sdkClientConfig(config)
  const client = new KMSClient({ ...shared, ...(config.endpointUrl ? { endpoint: config.endpointUrl } : {}) })
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
  let accountPromise: Promise<string> | undefined

  const region = () => {
    regionPromise ??= (async () => {
      // A profile that does not exist surfaces in the SDK as "no Region" or "no credentials".
      if (profileName) {
        const files = profileFiles(env)
        if (!(await profileDefined(profileName, files))) {
          throw new AccessError(
            `profile "${profileName}" not found in ${files.config} or ${files.credentials}`,
            'check --profile and AWS_PROFILE (aws configure list-profiles lists the profiles)',
          )
        }
      }
      const name = await client.config.region().catch((error: unknown) => {
        throw new AccessError(`no AWS Region is configured (${messageOf(error)})`, REGION_HINT)
      })
      if (!REGION_NAME.test(name))
        throw new AccessError(`"${name}" is not an AWS Region name`, `a Region name looks like us-east-1 or eu-west-2; ${REGION_HINT}`)
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
      throw translateError(error, { operation, subject, region: where, endpoint: triedEndpoint, signal: config.signal })
    }
  }

  const options = () => sendOptions(config)

  return {
    region,
    accountId() {
      accountPromise ??= (async () => {
        const where = await region()
        const started = performance.now()
        try {
          const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts')
          const sts = new STSClient({ ...shared, region: where })
          const out = await sts.send(new GetCallerIdentityCommand({}), options())
          config.debug?.(`GetCallerIdentity: ok in ${elapsed(started)}${attemptsOf(out)}`)
          if (!out.Account) throw new AwsError('GetCallerIdentity returned no account')
          return out.Account
        } catch (error) {
          config.debug?.(`GetCallerIdentity: ${nameOf(error)} in ${elapsed(started)}${attemptsOf(error)}`)
          throw translateError(error, { operation: 'GetCallerIdentity', subject: '', region: where })
        }
      })()
      return accountPromise
    },
    async describeKey(keyRef) {
      const out = await call('DescribeKey', keyRef, () => client.send(new DescribeKeyCommand({ KeyId: keyRef }), options()))
      if (!out.KeyMetadata) throw new AwsError(`DescribeKey ${keyRef} returned no key metadata`)
      return toKeyInfo(out.KeyMetadata)
    },
    async listAliases(filter = {}) {
      const subject = filter.keyId ? `KeyId=${filter.keyId}` : '(all)'
      return call('ListAliases', subject, async () => {
        const entries: AliasEntry[] = []
        const pages = paginateListAliases({ client, pageSize: LIST_PAGE_SIZE }, filter.keyId ? { KeyId: filter.keyId } : {}, options())
        for await (const page of pages) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
          for (const alias of page.Aliases ?? []) entries.push(toAliasEntry(alias))
        }
        return entries
      })
    },
    async listAliasesWithin(maxPages) {
      return call('ListAliases', `(all, at most ${maxPages} pages)`, async () => {
        const entries: AliasEntry[] = []
        let read = 0
        for await (const page of paginateListAliases({ client, pageSize: LIST_PAGE_SIZE }, {}, options())) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
          for (const alias of page.Aliases ?? []) entries.push(toAliasEntry(alias))
          read += 1
          // The paginator stops by itself after the last page; before it, reading on would cost more.
          if (read >= maxPages && page.Truncated) return undefined
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
        for await (const page of paginateListGrants({ client, pageSize: LIST_PAGE_SIZE }, { KeyId: keyId }, options())) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
          for (const grant of page.Grants ?? []) grants.push(toGrantInfo(grant))
        }
        return grants
      })
    },
    async listResourceTags(keyId) {
      return call('ListResourceTags', keyId, async () => {
        const tags: Record<string, string> = {}
        for await (const page of paginateListResourceTags({ client, pageSize: LIST_PAGE_SIZE }, { KeyId: keyId }, options())) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
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
        ...(request.multiRegion ? { MultiRegion: true } : {}),
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
    // Issue 21 (usage, retire).
    async getKeyLastUsage(keyId) {
      const out = await call('GetKeyLastUsage', keyId, () => client.send(new GetKeyLastUsageCommand({ KeyId: keyId }), options()))
      const used = out.KeyLastUsage
      return {
        keyId: out.KeyId ?? keyId,
        // A KeyLastUsage without a Timestamp (optional in the model) still says the key was used.
        ...(used
          ? {
              lastUsage: {
                operation: used.Operation ?? 'unknown',
                ...(used.Timestamp ? { timestamp: used.Timestamp } : {}),
                ...(used.CloudTrailEventId ? { cloudTrailEventId: used.CloudTrailEventId } : {}),
                ...(used.KmsRequestId ? { kmsRequestId: used.KmsRequestId } : {}),
              },
            }
          : {}),
        ...(out.TrackingStartDate ? { trackingStartDate: out.TrackingStartDate } : {}),
        ...(out.KeyCreationDate ? { keyCreationDate: out.KeyCreationDate } : {}),
      }
    },
    async enableKey(keyId) {
      await call('EnableKey', keyId, () => client.send(new EnableKeyCommand({ KeyId: keyId }), options()))
    },
    async scheduleKeyDeletion(keyId, pendingWindowInDays) {
      const out = await call('ScheduleKeyDeletion', `${keyId} (${pendingWindowInDays} days)`, () =>
        client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }), options()),
      )
      return out.DeletionDate ? { deletionDate: out.DeletionDate } : {}
    },
    async cancelKeyDeletion(keyId) {
      await call('CancelKeyDeletion', keyId, () => client.send(new CancelKeyDeletionCommand({ KeyId: keyId }), options()))
    },
    async *listAliasPages(beforePage) {
      // Paged by hand, not with the SDK's paginator: its last next() may or may not send a request,
      // and a pacer must be asked only for the requests that are sent.
      let marker: string | undefined
      for (let page = 1; ; page++) {
        await beforePage?.()
        const out = await call('ListAliases', `(all, page ${page})`, () =>
          client.send(new ListAliasesCommand({ Limit: LIST_PAGE_SIZE, ...(marker === undefined ? {} : { Marker: marker }) }), options()),
        )
        yield (out.Aliases ?? []).map(toAliasEntry)
        if (!out.Truncated || !out.NextMarker) return
        marker = out.NextMarker
      }
    },
    async listKeys() {
      return call('ListKeys', '(all)', async () => {
        const ids: string[] = []
        // ListKeys takes up to 1000 a page.
        for await (const page of paginateListKeys({ client, pageSize: 1000 }, {}, options())) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
          for (const key of page.Keys ?? []) if (key.KeyId) ids.push(key.KeyId)
        }
        return ids
      })
    },

    // Cryptographic operations (the use probe): algorithm names pass through as KMS spells them.
    async encrypt(request) {
      const out = await call('Encrypt', request.keyRef, () =>
        client.send(
          new EncryptCommand({
            KeyId: request.keyRef,
            Plaintext: request.plaintext,
            ...(request.encryptionAlgorithm ? { EncryptionAlgorithm: request.encryptionAlgorithm as EncryptionAlgorithmSpec } : {}),
            ...(request.encryptionContext ? { EncryptionContext: request.encryptionContext } : {}),
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, ciphertext: bytesOf(out.CiphertextBlob, 'Encrypt', 'CiphertextBlob') }
    },
    async decrypt(request) {
      const out = await call('Decrypt', request.keyRef ?? '(key of the ciphertext)', () =>
        client.send(
          new DecryptCommand({
            CiphertextBlob: request.ciphertext,
            ...(request.keyRef ? { KeyId: request.keyRef } : {}),
            ...(request.encryptionAlgorithm ? { EncryptionAlgorithm: request.encryptionAlgorithm as EncryptionAlgorithmSpec } : {}),
            ...(request.encryptionContext ? { EncryptionContext: request.encryptionContext } : {}),
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, plaintext: bytesOf(out.Plaintext, 'Decrypt', 'Plaintext') }
    },
    async sign(request) {
      const out = await call('Sign', request.keyRef, () =>
        client.send(
          new SignCommand({
            KeyId: request.keyRef,
            Message: request.message,
            MessageType: request.messageType ?? 'RAW',
            SigningAlgorithm: request.signingAlgorithm as SigningAlgorithmSpec,
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, signature: bytesOf(out.Signature, 'Sign', 'Signature') }
    },
    async verify(request) {
      const out = await call('Verify', request.keyRef, () =>
        client.send(
          new VerifyCommand({
            KeyId: request.keyRef,
            Message: request.message,
            MessageType: request.messageType ?? 'RAW',
            Signature: request.signature,
            SigningAlgorithm: request.signingAlgorithm as SigningAlgorithmSpec,
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, signatureValid: out.SignatureValid === true }
    },
    async generateMac(request) {
      const out = await call('GenerateMac', request.keyRef, () =>
        client.send(
          new GenerateMacCommand({ KeyId: request.keyRef, Message: request.message, MacAlgorithm: request.macAlgorithm as MacAlgorithmSpec }),
          options(),
        ),
      )
      return { keyId: out.KeyId, mac: bytesOf(out.Mac, 'GenerateMac', 'Mac') }
    },
    async verifyMac(request) {
      const out = await call('VerifyMac', request.keyRef, () =>
        client.send(
          new VerifyMacCommand({ KeyId: request.keyRef, Message: request.message, Mac: request.mac, MacAlgorithm: request.macAlgorithm as MacAlgorithmSpec }),
          options(),
        ),
      )
      return { keyId: out.KeyId, macValid: out.MacValid === true }
    },
    async deriveSharedSecret(request) {
      const out = await call('DeriveSharedSecret', request.keyRef, () =>
        client.send(
          new DeriveSharedSecretCommand({
            KeyId: request.keyRef,
            KeyAgreementAlgorithm: request.keyAgreementAlgorithm as KeyAgreementAlgorithmSpec,
            PublicKey: request.publicKey,
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, sharedSecret: bytesOf(out.SharedSecret, 'DeriveSharedSecret', 'SharedSecret') }
    },
    async getPublicKey(keyRef) {
      const out = await call('GetPublicKey', keyRef, () => client.send(new GetPublicKeyCommand({ KeyId: keyRef }), options()))
      const publicKey = bytesOf(out.PublicKey, 'GetPublicKey', 'PublicKey')
      return { keyId: out.KeyId, publicKey, keySpec: out.KeySpec ?? out.CustomerMasterKeySpec, keyUsage: out.KeyUsage }
    },
    async encapsulate(request) {
      const out = await call('Encapsulate', request.keyRef, () =>
        client.send(
          new EncapsulateCommand({ KeyId: request.keyRef, EncapsulationAlgorithm: request.encapsulationAlgorithm as EncapsulationAlgorithmSpec }),
          options(),
        ),
      )
      return {
        keyId: out.KeyId,
        sharedSecret: bytesOf(out.SharedSecret, 'Encapsulate', 'SharedSecret'),
        ciphertext: bytesOf(out.SharedSecretCiphertextBlob, 'Encapsulate', 'SharedSecretCiphertextBlob'),
      }
    },
    async decapsulate(request) {
      const out = await call('Decapsulate', request.keyRef, () =>
        client.send(
          new DecapsulateCommand({
            KeyId: request.keyRef,
            EncapsulationAlgorithm: request.encapsulationAlgorithm as EncapsulationAlgorithmSpec,
            SharedSecretCiphertextBlob: request.ciphertext,
          }),
          options(),
        ),
      )
      return { keyId: out.KeyId, sharedSecret: bytesOf(out.SharedSecret, 'Decapsulate', 'SharedSecret') }
    },
  }
}

/** A field KMS always fills on success: its absence is an answer we cannot use, said as such. */
function bytesOf(value: Uint8Array | undefined, operation: string, field: string): Uint8Array {
  if (!value) throw new AwsError(`${operation} returned no ${field}`)
  return value
}

type Credentials = Awaited<ReturnType<ReturnType<typeof fromTemporaryCredentials>>>
type CredentialsProvider = (properties?: Parameters<ReturnType<typeof fromTemporaryCredentials>>[0]) => Promise<Credentials>

// Credentials are refreshed this long before they expire, so no request is signed with dying ones.
const REFRESH_MARGIN_MS = 60_000
// One provider per role (and profile) for the whole run: the ports of several Regions share one
// AssumeRole instead of each asking STS for its own.
const roleProviders = new Map<string, CredentialsProvider>()

/**
 * STS AssumeRole through the SDK's own provider (fromTemporaryCredentials), loaded only when a
 * role is asked for. Its STS client takes the caller's Region, profile and request handler; its
 * endpoint comes from AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL like any SDK client's.
 */
function assumedRoleCredentials(role: AssumeRoleConfig, config: Pick<AwsSettings, 'profile' | 'maxAttempts' | 'requestTimeoutMs' | 'debug'>): CredentialsProvider {
  const cacheKey = JSON.stringify([role.arn, role.sessionName, role.externalId ?? null, config.profile ?? null])
  const existing = roleProviders.get(cacheKey)
  if (existing) return existing
  let assume: CredentialsProvider | undefined
  let current: Promise<Credentials> | undefined
  const fetch = async (properties: Parameters<CredentialsProvider>[0]) => {
    const started = performance.now()
    try {
      if (!assume) {
        const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers')
        assume = fromTemporaryCredentials({
          params: { RoleArn: role.arn, RoleSessionName: role.sessionName, ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }) },
          clientConfig: { ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}), requestHandler: requestHandlerOf(config) },
        })
      }
      const credentials = await assume(properties)
      config.debug?.(`AssumeRole ${role.arn}: ok in ${elapsed(started)}`)
      return credentials
    } catch (error) {
      config.debug?.(`AssumeRole ${role.arn}: ${nameOf(error)} in ${elapsed(started)}`)
      if (ACCESS_ERROR_NAMES.has(nameOf(error))) {
        const refused = new AccessError(
          `cannot assume ${role.arn}: ${nameOf(error)}: ${messageOf(error)}`,
          "check that the role's trust policy lets these credentials assume it (and the --external-id it asks for)",
        )
        // STS answered: callers tell an answer from a setup failure (no credentials) by its name.
        refused.awsCode = nameOf(error)
        refused.assumingRole = role.arn
        throw refused
      }
      const translated = translateError(error, { operation: 'AssumeRole', subject: role.arn, region: '' })
      if (translated instanceof CliError) translated.assumingRole = role.arn
      throw translated
    }
  }
  const provider: CredentialsProvider = async (properties) => {
    const held = current
    if (held) {
      const credentials = await held.catch(() => undefined)
      const expiring = credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS
      if (credentials && !expiring) return credentials
      // Another caller may have started the refresh while this one waited.
      if (current !== held) return provider(properties)
    }
    const next = fetch(properties)
    current = next
    next.catch(() => {
      if (current === next) current = undefined
    })
    return next
  }
  roleProviders.set(cacheKey, provider)
  return provider
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
    ...(subset || equals
      ? { constraints: { ...(subset ? { encryptionContextSubset: subset } : {}), ...(equals ? { encryptionContextEquals: equals } : {}) } }
      : {}),
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
    ...(m.DeletionDate ? { deletionDate: m.DeletionDate } : {}),
    encryptionAlgorithms: m.EncryptionAlgorithms ?? [],
    signingAlgorithms: m.SigningAlgorithms ?? [],
    macAlgorithms: m.MacAlgorithms ?? [],
    keyAgreementAlgorithms: m.KeyAgreementAlgorithms ?? [],
    ...(m.EncapsulationAlgorithms?.length ? { encapsulationAlgorithms: [...m.EncapsulationAlgorithms] } : {}),
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

/** The SDK's warning in our words, on one line. */
export function explainSdkWarning(message: string, profile: string | undefined): string {
  if (/Multiple credential sources/i.test(message)) {
    return `both a profile (${profile ?? 'AWS_PROFILE'}) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile's credentials are used and the variables ignored; unset one of them`
  }
  const first =
    message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? message
  return `AWS SDK: ${first}`
}

function elapsed(started: number): string {
  return `${Math.round(performance.now() - started)} ms`
}
