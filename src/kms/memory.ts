// An in-memory KMS behind KmsPort, selected with `--endpoint-url memory:` (and used by `kms-alias
// demo`). It keeps keys and aliases in this process only and enforces what KMS itself enforces
// (kms-facts.md sections 1-5), no more: a Disabled target and a KeySpec change within a class are
// accepted, so that the preflight, not the emulator, is what stops an unsafe change, as against AWS.
// Refusals are thrown as the SDK throws them (the KMS error name) and go through the adapter's own
// translateError, so every command sees the same errors, exit codes and messages as with KMS.
import { randomUUID } from 'node:crypto'
import { ALIASES_PER_KEY_QUOTA, keyClassOf, usagesBySpec } from './facts.js'

import { isKeyId, isReservedAlias, parseArn } from './identifiers.js'
import { defaultKeyPolicy } from './keyPolicy.js'
import { cryptoOperations, encapsulationAlgorithmsOf } from './memoryCrypto.js'
import { KmsErrorResponse } from './memoryErrors.js'
import { MEMORY_ENDPOINT, type AliasEntry, type GrantInfo, type KeyInfo, type KmsConfig, type KmsPort, type NewKeyRequest } from './port.js'
import { nameOf, translateError } from './translate.js'
import { MemoryTrail } from './memoryTrail.js'

/** The account every in-memory key and alias belongs to (the AWS documentation's example account). */
export const MEMORY_ACCOUNT = '111122223333'
/** The Region when --region is not given: the in-memory KMS reads no AWS configuration. */
export const MEMORY_DEFAULT_REGION = 'us-east-1'

// API model: AliasNameType is 1-256 characters of [a-zA-Z0-9:/_-]. The developer guide is stricter
// (an `alias/` prefix, no ':'); KMS answers the first with ValidationException and, we assume
// (UNCONFIRMED), the second with InvalidAliasNameException.
const MODEL_ALIAS_NAME = /^[a-zA-Z0-9:/_-]{1,256}$/
const GUIDE_ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/

// Algorithms DescribeKey reports for each KeySpec and KeyUsage (kms-facts.md section 4).
const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
]
const ECDSA_BY_SPEC: Readonly<Record<string, string>> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_SECG_P256K1: 'ECDSA_SHA_256',
  ECC_NIST_P384: 'ECDSA_SHA_384',
  ECC_NIST_P521: 'ECDSA_SHA_512',
}

type Algorithms = Pick<KeyInfo, 'encryptionAlgorithms' | 'signingAlgorithms' | 'macAlgorithms' | 'keyAgreementAlgorithms'>

function algorithmsOf(keySpec: string, keyUsage: string): Algorithms {
  const none: Algorithms = { encryptionAlgorithms: [], signingAlgorithms: [], macAlgorithms: [], keyAgreementAlgorithms: [] }
  if (keyUsage === 'KEY_AGREEMENT') return { ...none, keyAgreementAlgorithms: ['ECDH'] }
  if (keyUsage === 'GENERATE_VERIFY_MAC') return { ...none, macAlgorithms: [`HMAC_SHA_${keySpec.slice('HMAC_'.length)}`] }
  if (keyUsage === 'ENCRYPT_DECRYPT') {
    if (keySpec === 'SYMMETRIC_DEFAULT') return { ...none, encryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
    return { ...none, encryptionAlgorithms: keySpec === 'SM2' ? ['SM2PKE'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
  }
  if (keyUsage === 'SIGN_VERIFY') {
    if (keySpec.startsWith('RSA_')) return { ...none, signingAlgorithms: [...RSA_SIGNING] }
    if (keySpec === 'ECC_NIST_EDWARDS25519') return { ...none, signingAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] }
    if (keySpec.startsWith('ML_DSA_')) return { ...none, signingAlgorithms: ['ML_DSA_SHAKE_256'] }
    if (keySpec === 'SM2') return { ...none, signingAlgorithms: ['SM2DSA'] }
    const ecdsa = ECDSA_BY_SPEC[keySpec]
    return { ...none, signingAlgorithms: ecdsa ? [ecdsa] : [] }
  }
  // ENCAPSULATE_DECAPSULATE (ML-KEM): its list is encapsulationAlgorithms (memoryCrypto.ts).
  return none
}

const notFound = (message: string) => new KmsErrorResponse('NotFoundException', 400, message)
const invalidState = (message: string) => new KmsErrorResponse('KMSInvalidStateException', 400, message)
const validation = (message: string) => new KmsErrorResponse('ValidationException', 400, message)
// moto and local-kms answer a name under alias/aws/ with NotAuthorizedException; what AWS answers
// there, and for an AWS managed target, is UNCONFIRMED (kms-facts.md sections 2 and 5).
const notAuthorized = (message: string) => new KmsErrorResponse('NotAuthorizedException', 400, message)

/**
 * One account and Region: aliases are unique per account and Region, as in KMS. Plain maps keyed
 * by key ID (alias name for the alias maps), so that a caller can seed a state (a demo's starting
 * point, a test's world) by writing into them; a key with no entry in `policies`, `grants`, `tags`
 * or `rotation` has KMS's defaults: the default key policy, no grants, no tags, rotation off.
 */
export interface Partition {
  keys: Map<string, KeyInfo>
  /** Alias name to the ID of the key it points to. */
  aliases: Map<string, string>
  /** When each alias was last created or repointed; a seeded alias may have none (as on moto). */
  aliasUpdates: Map<string, Date>
  /** Key policies as JSON text. */
  policies: Map<string, string>
  grants: Map<string, GrantInfo[]>
  tags: Map<string, Record<string, string>>
  rotation: Map<string, boolean>
}

export interface MemoryKmsStoreOptions {
  now?: () => Date
  /** The account every key and alias belongs to; default MEMORY_ACCOUNT. */
  account?: string
  /** Aliases one key may have: the account's quota, adjustable in KMS; default ALIASES_PER_KEY_QUOTA. */
  aliasesPerKey?: number
  /** The IAM ARN this process's calls are logged under in the trail; default a user of the account. */
  principal?: string
}

/** The keys and aliases of every Region; one per process (the Context keeps it), never written anywhere. */
export class MemoryKmsStore {
  private readonly partitions = new Map<string, Partition>()
  readonly now: () => Date
  readonly account: string
  readonly aliasesPerKey: number

  constructor(options: MemoryKmsStoreOptions = {}) {
    this.now = options.now ?? (() => new Date())
    this.account = options.account ?? MEMORY_ACCOUNT
    this.aliasesPerKey = options.aliasesPerKey ?? ALIASES_PER_KEY_QUOTA
    this.principal = options.principal ?? `arn:aws:iam::${this.account}:user/you`
    this.trail = new MemoryTrail(this.now())
  }

  /** Issue 21: every call that named a key, and each key's last use (src/kms/memoryTrail.ts). */
  readonly trail: MemoryTrail
  readonly principal: string

  /** The Region's keys and aliases; a Region starts with one AWS managed key, as accounts do. */
  partition(region: string): Partition {
    let partition = this.partitions.get(region)
    if (!partition) {
      partition = { keys: new Map(), aliases: new Map(), aliasUpdates: new Map(), policies: new Map(), grants: new Map(), tags: new Map(), rotation: new Map() }
      this.partitions.set(region, partition)
      const managed = newKey(
        region,
        this.account,
        this.now(),
        { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', description: 'Default key that protects my EBS volumes when no other key is defined' },
        'AWS',
      )
      partition.keys.set(managed.keyId, managed)
      partition.aliases.set('alias/aws/ebs', managed.keyId)
      partition.aliasUpdates.set('alias/aws/ebs', this.now())
    }
    return partition
  }
}

function newKey(region: string, account: string, now: Date, request: NewKeyRequest, keyManager: 'AWS' | 'CUSTOMER'): KeyInfo {
  // A multi-Region key is made as a primary with no replicas (ReplicateKey is not modelled).
  const keyId = request.multiRegion ? `mrk-${randomUUID().replaceAll('-', '')}` : randomUUID()
  const arn = `arn:aws:kms:${region}:${account}:key/${keyId}`
  return {
    keyId,
    arn,
    accountId: account,
    region,
    keySpec: request.keySpec,
    keyUsage: request.keyUsage,
    keyState: 'Enabled',
    keyManager,
    origin: 'AWS_KMS',
    multiRegion: request.multiRegion === true,
    ...(request.multiRegion ? { multiRegionConfiguration: { keyType: 'PRIMARY' as const, primary: { arn, region }, replicas: [] } } : {}),
    description: request.description ?? '',
    creationDate: now,
    ...algorithmsOf(request.keySpec, request.keyUsage),
    ...encapsulationAlgorithmsOf(request.keySpec, request.keyUsage),
  }
}

/** The in-memory KMS port (ScheduleKeyDeletion is on KmsPort itself since issue 21). */
export type MemoryKms = KmsPort

/** A KMS port over `store`, acting in `config.region` (default us-east-1). */
export function createMemoryKms(store: MemoryKmsStore, config: Pick<KmsConfig, 'region' | 'debug' | 'signal'> = {}): MemoryKms {
  const region = config.region ?? MEMORY_DEFAULT_REGION
  const account = store.account
  const arnPrefix = `arn:aws:kms:${region}:${account}:`
  const here = () => store.partition(region)

  /** Runs one KMS operation: refusals become the adapter's errors, --debug gets the adapter's line. */
  async function call<T>(operation: string, subject: string, work: () => T): Promise<T> {
    const started = performance.now()
    touched = undefined
    try {
      if (config.signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })
      const result = work()
      config.debug?.(`${operation} ${subject}: ok in ${elapsed(started)}`)
      logCall(operation)
      return result
    } catch (error) {
      config.debug?.(`${operation} ${subject}: ${nameOf(error)} in ${elapsed(started)}`)
      logCall(operation, error)
      throw translateError(error, { operation, subject, region, endpoint: MEMORY_ENDPOINT, signal: config.signal })
    }
  }

  // Issue 21: the key the running operation named first, as CloudTrail logs it (findKey sets it).
  let touched: { requested: string; arn?: string } | undefined
  function logCall(operation: string, error?: unknown): void {
    if (!touched) return
    const failed = error === undefined ? {} : { errorCode: nameOf(error), errorMessage: error instanceof Error ? error.message : String(error) }
    store.trail.record({
      eventName: operation,
      eventTime: store.now(),
      region,
      principal: store.principal,
      keyIdRequested: touched.requested,
      ...(touched.arn ? { keyArn: touched.arn } : {}),
      ...failed,
    })
  }

  const keyArn = (keyId: string) => `${arnPrefix}key/${keyId}`

  /** A key ID or key ARN of this account and Region; aliases only where the operation takes them. */
  function findKey(keyRef: string, takesAlias: boolean): KeyInfo {
    const first = touched === undefined
    if (first) touched = { requested: keyRef }
    const key = resolveKey(keyRef, takesAlias)
    if (first && touched) touched.arn = key.arn
    return key
  }

  function resolveKey(keyRef: string, takesAlias: boolean): KeyInfo {
    let ref = keyRef
    if (ref.startsWith('arn:')) {
      const arn = parseArn(ref)
      if (!arn || !(arn.resource.startsWith('key/') || arn.resource.startsWith('alias/')))
        throw new KmsErrorResponse('InvalidArnException', 400, `Invalid arn ${keyRef}`)
      // Another Region's key is simply not here. Another account's key of this Region is reached by
      // its ARN alone, as in KMS, when a key with that ARN was put into the store (one its policy
      // lets this account use); another account's alias never is.
      const shared = arn.account === account ? undefined : here().keys.get(arn.resource.slice('key/'.length))
      if (arn.region === region && shared?.arn === keyRef) return shared
      if (arn.region !== region || arn.account !== account)
        throw notFound(arn.resource.startsWith('alias/') ? `Alias ${keyRef} is not found.` : `Key '${keyRef}' does not exist`)
      ref = arn.resource.startsWith('key/') ? arn.resource.slice('key/'.length) : arn.resource
    }
    if (ref.startsWith('alias/')) {
      if (!takesAlias) throw validation(`${keyRef} is an alias; this operation takes a key ID or key ARN`)
      const target = here().aliases.get(ref)
      if (target === undefined) throw notFound(`Alias ${arnPrefix}${ref} is not found.`)
      ref = target
    }
    const key = here().keys.get(ref)
    if (!key) throw notFound(isKeyId(ref) ? `Key '${keyArn(ref)}' does not exist` : `Invalid keyId ${ref}`)
    return key
  }

  function checkAliasName(aliasName: string): void {
    if (!MODEL_ALIAS_NAME.test(aliasName)) {
      throw validation(
        `1 validation error detected: Value '${aliasName}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$ and have length between 1 and 256`,
      )
    }
    if (!GUIDE_ALIAS_NAME.test(aliasName))
      throw new KmsErrorResponse('InvalidAliasNameException', 400, `Alias name ${aliasName} must begin with alias/ followed by letters, digits, /, _ or -`)
    if (isReservedAlias(aliasName)) throw notAuthorized(`Alias names starting with alias/aws/ are reserved for AWS managed keys: ${aliasName}`)
  }

  /** What CreateAlias and UpdateAlias require of the key an alias is to point to. */
  function checkTarget(aliasName: string, key: KeyInfo): void {
    if (key.keyManager === 'AWS') throw notAuthorized(`${key.arn} is an AWS managed key; aliases can only point to customer managed keys`)
    if (key.keyState === 'PendingDeletion' || key.keyState === 'PendingReplicaDeletion') throw invalidState(`${key.arn} is pending deletion.`)
    const others = [...here().aliases].filter(([name, targetKeyId]) => targetKeyId === key.keyId && name !== aliasName).length
    if (others >= store.aliasesPerKey) throw new KmsErrorResponse('LimitExceededException', 400, `${key.arn} already has ${others} aliases, the maximum`)
  }

  const customerKey = (keyId: string, operation: string): KeyInfo => {
    const key = findKey(keyId, false)
    if (key.keyState === 'PendingDeletion') throw invalidState(`${key.arn} is pending deletion.`)
    if (key.keyManager === 'AWS') throw notAuthorized(`${operation} is not allowed on the AWS managed key ${key.arn}`)
    return key
  }

  /** Replaces a key's metadata: KeyInfo values in the store are never changed in place, as callers hold copies. */
  const setKey = (key: KeyInfo) => void here().keys.set(key.keyId, key)

  const copyKey = (key: KeyInfo): KeyInfo => ({
    ...key,
    encryptionAlgorithms: [...key.encryptionAlgorithms],
    signingAlgorithms: [...key.signingAlgorithms],
    macAlgorithms: [...key.macAlgorithms],
    keyAgreementAlgorithms: [...key.keyAgreementAlgorithms],
    ...(key.encapsulationAlgorithms ? { encapsulationAlgorithms: [...key.encapsulationAlgorithms] } : {}),
  })

  const port: MemoryKms = {
    async region() {
      return region
    },
    async accountId() {
      return account
    },
    describeKey: (keyRef) => call('DescribeKey', keyRef, () => copyKey(findKey(keyRef, true))),
    listAliases: (filter = {}) =>
      call('ListAliases', filter.keyId ? `KeyId=${filter.keyId}` : '(all)', () => {
        const keyId = filter.keyId === undefined ? undefined : findKey(filter.keyId, false).keyId
        const updates = here().aliasUpdates
        return [...here().aliases]
          .filter(([, targetKeyId]) => keyId === undefined || targetKeyId === keyId)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, targetKeyId]): AliasEntry => {
            const lastUpdated = updates.get(name)
            return { name, arn: `${arnPrefix}${name}`, targetKeyId, ...(lastUpdated ? { lastUpdated } : {}) }
          })
      }),
    // One store, no pages: every alias fits.
    listAliasesWithin: () => port.listAliases(),
    updateAlias: (aliasName, targetKeyId) =>
      call('UpdateAlias', `${aliasName} -> ${targetKeyId}`, () => {
        checkAliasName(aliasName)
        const currentKeyId = here().aliases.get(aliasName)
        if (currentKeyId === undefined) throw notFound(`Alias ${arnPrefix}${aliasName} is not found.`)
        const target = findKey(targetKeyId, false)
        checkTarget(aliasName, target)
        const current = here().keys.get(currentKeyId)
        // The only compatibility UpdateAlias enforces: the same class and the same KeyUsage. The
        // error code is UNCONFIRMED (kms-facts.md section 4); ValidationException as floci answers.
        if (current && (keyClassOf(current.keySpec) !== keyClassOf(target.keySpec) || current.keyUsage !== target.keyUsage)) {
          throw validation(`${aliasName} points to a ${current.keySpec} ${current.keyUsage} key; it cannot point to a ${target.keySpec} ${target.keyUsage} key`)
        }
        here().aliases.set(aliasName, target.keyId)
        here().aliasUpdates.set(aliasName, store.now())
      }),
    createAlias: (aliasName, targetKeyId) =>
      call('CreateAlias', `${aliasName} -> ${targetKeyId}`, () => {
        checkAliasName(aliasName)
        const target = findKey(targetKeyId, false)
        if (here().aliases.has(aliasName))
          throw new KmsErrorResponse('AlreadyExistsException', 400, `An alias with the name ${arnPrefix}${aliasName} already exists`)
        checkTarget(aliasName, target)
        here().aliases.set(aliasName, target.keyId)
        here().aliasUpdates.set(aliasName, store.now())
      }),
    deleteAlias: (aliasName) =>
      call('DeleteAlias', aliasName, () => {
        checkAliasName(aliasName)
        if (!here().aliases.delete(aliasName)) throw notFound(`Alias ${arnPrefix}${aliasName} is not found.`)
        here().aliasUpdates.delete(aliasName)
      }),
    getKeyPolicy: (keyId) =>
      call('GetKeyPolicy', keyId, () => {
        const key = findKey(keyId, false)
        return here().policies.get(key.keyId) ?? defaultKeyPolicy(key.accountId)
      }),
    listGrants: (keyId) =>
      call('ListGrants', keyId, () => (here().grants.get(findKey(keyId, false).keyId) ?? []).map((g) => ({ ...g, operations: [...g.operations] }))),
    listResourceTags: (keyId) => call('ListResourceTags', keyId, () => ({ ...here().tags.get(findKey(keyId, false).keyId) })),
    getKeyRotationStatus: (keyId) =>
      call('GetKeyRotationStatus', keyId, () => {
        const key = findKey(keyId, false)
        if (key.keyState === 'PendingDeletion') throw invalidState(`${key.arn} is pending deletion.`)
        if (key.keySpec !== 'SYMMETRIC_DEFAULT')
          throw new KmsErrorResponse('UnsupportedOperationException', 400, `${key.arn} is not a symmetric encryption key; it has no automatic rotation`)
        return here().rotation.get(key.keyId) ?? false
      }),
    createKey: (request) =>
      call('CreateKey', `${request.keySpec}/${request.keyUsage}`, () => {
        const usages = usagesBySpec[request.keySpec]
        if (!usages) throw validation(`KeySpec ${request.keySpec} is not a valid KeySpec`)
        if (!usages.includes(request.keyUsage)) throw validation(`KeyUsage ${request.keyUsage} is not compatible with KeySpec ${request.keySpec}`)
        if (request.policy !== undefined && !isJsonObject(request.policy))
          throw new KmsErrorResponse('MalformedPolicyDocumentException', 400, 'The new key policy is not a JSON document')
        const key = newKey(region, account, store.now(), request, 'CUSTOMER')
        setKey(key)
        if (request.policy !== undefined) here().policies.set(key.keyId, request.policy)
        if (request.tags) here().tags.set(key.keyId, { ...request.tags })
        return copyKey(key)
      }),
    enableKeyRotation: (keyId) =>
      call('EnableKeyRotation', keyId, () => {
        const key = customerKey(keyId, 'EnableKeyRotation')
        if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.origin !== 'AWS_KMS') {
          throw new KmsErrorResponse('UnsupportedOperationException', 400, `${key.arn} does not support automatic rotation (symmetric keys with KMS key material only)`)
        }
        if (key.keyState !== 'Enabled') throw invalidState(`${key.arn} is ${key.keyState}.`)
        here().rotation.set(key.keyId, true)
      }),
    disableKey: (keyId) =>
      call('DisableKey', keyId, () => {
        setKey({ ...customerKey(keyId, 'DisableKey'), keyState: 'Disabled' })
      }),
    // Issue 21 (usage, retire).
    scheduleKeyDeletion: (keyId, pendingWindowInDays = 30) =>
      call('ScheduleKeyDeletion', keyId, () => {
        if (!Number.isInteger(pendingWindowInDays) || pendingWindowInDays < 7 || pendingWindowInDays > 30)
          throw validation('PendingWindowInDays must be between 7 and 30')
        const key = customerKey(keyId, 'ScheduleKeyDeletion')
        if (key.multiRegionConfiguration?.keyType === 'PRIMARY' && key.multiRegionConfiguration.replicas.length > 0)
          throw new KmsErrorResponse('UnsupportedOperationException', 400, `${key.arn} is a multi-Region primary key with replicas; it cannot be deleted before them`)
        const deletionDate = new Date(store.now().getTime() + pendingWindowInDays * 86_400_000)
        setKey({ ...key, keyState: 'PendingDeletion', deletionDate })
        return { deletionDate }
      }),
    enableKey: (keyId) =>
      call('EnableKey', keyId, () => {
        setKey({ ...customerKey(keyId, 'EnableKey'), keyState: 'Enabled' })
      }),
    cancelKeyDeletion: (keyId) =>
      call('CancelKeyDeletion', keyId, () => {
        const key = findKey(keyId, false)
        if (key.keyManager === 'AWS') throw notAuthorized(`CancelKeyDeletion is not allowed on the AWS managed key ${key.arn}`)
        if (key.keyState !== 'PendingDeletion') throw invalidState(`${key.arn} is not pending deletion (it is ${key.keyState}).`)
        // KMS leaves a key whose deletion is cancelled Disabled, with no deletion date.
        const { deletionDate: _cancelled, ...rest } = key
        setKey({ ...rest, keyState: 'Disabled' })
      }),
    getKeyLastUsage: (keyId) =>
      call('GetKeyLastUsage', keyId, () => {
        const key = findKey(keyId, false)
        const used = store.trail.lastUse.get(key.arn)
        return {
          keyId: key.arn,
          ...(used ? { lastUsage: { operation: used.operation, timestamp: used.timestamp, cloudTrailEventId: used.eventId } } : {}),
          trackingStartDate: store.trail.trackingStart,
          ...(key.creationDate ? { keyCreationDate: key.creationDate } : {}),
        }
      }),
    async *listAliasPages(beforePage) {
      // KMS's page size; the store itself has no pages. Every page is one ListAliases call of a
      // snapshot taken at the first: re-listing (and sorting) the store per page was quadratic, and
      // an alias made between pages shifted the later ones.
      let snapshot: AliasEntry[] = []
      for (let start = 0; ; start += 100) {
        await beforePage?.()
        const from = start
        const page = from === 0 ? (snapshot = await port.listAliases()).slice(0, 100) : await call('ListAliases', '(all)', () => snapshot.slice(from, from + 100))
        yield page
        if (start + 100 >= snapshot.length) return
      }
    },
    listKeys: () => call('ListKeys', '(all)', () => [...here().keys.keys()]),
    // Encrypt, Sign, GenerateMac, DeriveSharedSecret and the rest: real cryptography, KMS's key-state refusals.
    ...cryptoOperations({ call, findKey: (keyRef) => findKey(keyRef, true), partition: here }),
  }
  return port
}

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
  } catch {
    return false
  }
}

function elapsed(started: number): string {
  return `${Math.round(performance.now() - started)} ms`
}
