// The one fake KMS of the tests: the in-memory KMS of src/kms/memory.ts (what `--endpoint-url
// memory:` runs, and what the contract suite holds to KMS's behaviour), wrapped to record every
// call and to inject what a test needs and KMS does only sometimes: failures, stale reads, pages,
// an unknown Region or account. The world (keys, aliases, policies, grants, tags, rotation) lives
// in the in-memory store; `keys`, `aliases` and the rest are that store's own maps, so that a test
// writing into them changes what the port answers.
import { defaultKeyPolicy } from '../../src/kms/keyPolicy.js'
import { createMemoryKms, MemoryKmsStore, type MemoryKms } from '../../src/kms/memory.js'
import { AwsError, NotFoundError } from '../../src/errors.js'
import type { AliasEntry, GrantInfo, KeyInfo, KeyLastUsage, KmsPort, NewKeyRequest } from '../../src/kms/port.js'
import type * as Crypto from '../../src/kms/port.js'

export const REGION = 'us-east-1'
export const ACCOUNT = '111122223333'

let counter = 0
/** A key ID in KMS's shape, unique per call. */
export function newKeyId(): string {
  counter += 1
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}

export function key(overrides: Partial<KeyInfo> = {}): KeyInfo {
  const keyId = overrides.keyId ?? newKeyId()
  const region = overrides.region ?? REGION
  const accountId = overrides.accountId ?? ACCOUNT
  return {
    keyId,
    arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
    accountId,
    region,
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    keyState: 'Enabled',
    keyManager: 'CUSTOMER',
    origin: 'AWS_KMS',
    multiRegion: false,
    encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    signingAlgorithms: [],
    macAlgorithms: [],
    keyAgreementAlgorithms: [],
    ...overrides,
  }
}

type Mutation = 'UpdateAlias' | 'CreateAlias' | 'DeleteAlias'

export interface FakeKmsOptions {
  keys?: KeyInfo[]
  aliases?: Record<string, string>
  /** Aliases a page of a whole-Region listing (listAliasesWithin); default: all on one page. */
  listPageSize?: number
  /** ListAliases keeps showing the mapping from before UpdateAlias for this many reads. */
  staleReads?: number
  /** DescribeKey of an alias keeps resolving it as before the last mutation for this many reads. */
  staleDescribeReads?: number
  /** Thrown by a mutating call after (applied: true) or instead of (false) applying it; only on the `call`-th call of it when given. */
  failures?: Partial<Record<Mutation, { error: Error; applied: boolean; call?: number }>>
  region?: string | Error
  /** The account GetCallerIdentity reports (default ACCOUNT); an Error is thrown instead. */
  account?: string | Error
  /** Key policies (JSON text), grants, tags and rotation status by key ID. */
  policies?: Record<string, string>
  grants?: Record<string, GrantInfo[]>
  tags?: Record<string, Record<string, string>>
  rotation?: Record<string, boolean>
  /** The account's aliases-per-key quota (adjustable in KMS); default 50. */
  aliasesPerKey?: number
  /** The store's clock (the trail's times, GetKeyLastUsage's tracking start); default the real one. */
  now?: () => Date
}

/** The in-memory KMS of one Region, recording every call, with the faults of `options` injected. */
export class FakeKms implements KmsPort {
  readonly store: MemoryKmsStore
  readonly keys: Map<string, KeyInfo>
  readonly aliases: Map<string, string>
  readonly policies: Map<string, string>
  readonly grants: Map<string, GrantInfo[]>
  readonly tags: Map<string, Record<string, string>>
  readonly rotation: Map<string, boolean>
  readonly calls: string[] = []
  private readonly memory: MemoryKms
  private readonly regionName: string
  private readonly accountName: string
  private staleSnapshot: Map<string, string> | undefined
  private staleLeft: number
  private staleDescribeLeft = 0

  constructor(private readonly options: FakeKmsOptions = {}) {
    this.regionName = typeof options.region === 'string' ? options.region : REGION
    this.accountName = typeof options.account === 'string' ? options.account : ACCOUNT
    this.store = new MemoryKmsStore({
      account: this.accountName,
      ...(options.aliasesPerKey === undefined ? {} : { aliasesPerKey: options.aliasesPerKey }),
      ...(options.now ? { now: options.now } : {}),
    })
    const partition = this.store.partition(this.regionName)
    // A test's world holds what the test puts there: not the AWS managed key a Region starts with.
    partition.keys.clear()
    partition.aliases.clear()
    partition.aliasUpdates.clear()
    ;({ keys: this.keys, aliases: this.aliases, policies: this.policies, grants: this.grants, tags: this.tags, rotation: this.rotation } = partition)
    for (const k of options.keys ?? []) this.keys.set(k.keyId, k)
    for (const [name, keyId] of Object.entries(options.aliases ?? {})) this.aliases.set(name, keyId)
    for (const [keyId, policy] of Object.entries(options.policies ?? {})) this.policies.set(keyId, policy)
    for (const [keyId, grants] of Object.entries(options.grants ?? {})) this.grants.set(keyId, grants)
    for (const [keyId, tags] of Object.entries(options.tags ?? {})) this.tags.set(keyId, tags)
    for (const [keyId, enabled] of Object.entries(options.rotation ?? {})) this.rotation.set(keyId, enabled)
    this.staleLeft = options.staleReads ?? 0
    this.memory = createMemoryKms(this.store, { region: this.regionName })
  }

  async region(): Promise<string> {
    if (this.options.region instanceof Error) throw this.options.region
    return this.regionName
  }

  async accountId(): Promise<string> {
    this.calls.push('GetCallerIdentity')
    if (this.options.account instanceof Error) throw this.options.account
    return this.accountName
  }

  async describeKey(keyRef: string): Promise<KeyInfo> {
    this.calls.push(`DescribeKey ${keyRef}`)
    if (this.staleSnapshot && this.staleDescribeLeft > 0 && keyRef.startsWith('alias/')) {
      this.staleDescribeLeft -= 1
      const before = this.staleSnapshot.get(keyRef)
      if (before === undefined) throw new NotFoundError(`${keyRef} not found in ${this.regionName} (Alias ${this.arnOf(keyRef)} is not found.)`)
      return this.memory.describeKey(before)
    }
    return this.memory.describeKey(keyRef)
  }

  async listAliases(filter: { keyId?: string } = {}): Promise<AliasEntry[]> {
    this.calls.push(`ListAliases ${filter.keyId ?? '(all)'}`)
    return this.aliasView(filter)
  }

  /** One `ListAliases (all)` call a page of `listPageSize` (default: every alias on one page). */
  async listAliasesWithin(maxPages: number): Promise<AliasEntry[] | undefined> {
    const size = this.options.listPageSize ?? Number.POSITIVE_INFINITY
    const pages = Math.max(1, Math.ceil(this.aliases.size / size))
    for (let page = 1; page <= Math.min(pages, maxPages); page++) this.calls.push('ListAliases (all)')
    if (pages > maxPages) return undefined
    return this.aliasView({})
  }

  /** The in-memory listing, or for a stale read the mapping from before the last mutation. */
  private async aliasView(filter: { keyId?: string }): Promise<AliasEntry[]> {
    if (!this.staleSnapshot || this.staleLeft <= 0) return this.memory.listAliases(filter)
    this.staleLeft -= 1
    const keyId = filter.keyId?.replace(/^arn:.*:key\//, '')
    return [...this.staleSnapshot.entries()]
      .filter(([, target]) => keyId === undefined || target === keyId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, targetKeyId]) => ({ name, arn: this.arnOf(name), targetKeyId }))
  }

  async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.mutate('UpdateAlias', `${aliasName} ${targetKeyId}`, () => this.memory.updateAlias(aliasName, targetKeyId))
  }

  async createAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.mutate('CreateAlias', `${aliasName} ${targetKeyId}`, () => this.memory.createAlias(aliasName, targetKeyId))
  }

  async deleteAlias(aliasName: string): Promise<void> {
    await this.mutate('DeleteAlias', aliasName, () => this.memory.deleteAlias(aliasName))
  }

  async getKeyPolicy(keyId: string): Promise<string> {
    this.calls.push(`GetKeyPolicy ${keyId}`)
    return this.memory.getKeyPolicy(keyId)
  }

  async listGrants(keyId: string): Promise<GrantInfo[]> {
    this.calls.push(`ListGrants ${keyId}`)
    return this.memory.listGrants(keyId)
  }

  async listResourceTags(keyId: string): Promise<Record<string, string>> {
    this.calls.push(`ListResourceTags ${keyId}`)
    return this.memory.listResourceTags(keyId)
  }

  async getKeyRotationStatus(keyId: string): Promise<boolean> {
    this.calls.push(`GetKeyRotationStatus ${keyId}`)
    return this.memory.getKeyRotationStatus(keyId)
  }

  async createKey(request: NewKeyRequest): Promise<KeyInfo> {
    this.calls.push(`CreateKey ${request.keySpec} ${request.keyUsage}`)
    return this.memory.createKey(request)
  }

  async enableKeyRotation(keyId: string): Promise<void> {
    this.calls.push(`EnableKeyRotation ${keyId}`)
    return this.memory.enableKeyRotation(keyId)
  }

  async disableKey(keyId: string): Promise<void> {
    this.calls.push(`DisableKey ${keyId}`)
    return this.memory.disableKey(keyId)
  }

  // Issue 21 (usage, retire).
  async getKeyLastUsage(keyId: string): Promise<KeyLastUsage> {
    this.calls.push(`GetKeyLastUsage ${keyId}`)
    return this.memory.getKeyLastUsage(keyId)
  }

  async enableKey(keyId: string): Promise<void> {
    this.calls.push(`EnableKey ${keyId}`)
    return this.memory.enableKey(keyId)
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<{ deletionDate?: Date }> {
    this.calls.push(`ScheduleKeyDeletion ${keyId} ${pendingWindowInDays}`)
    return this.memory.scheduleKeyDeletion(keyId, pendingWindowInDays)
  }

  async cancelKeyDeletion(keyId: string): Promise<void> {
    this.calls.push(`CancelKeyDeletion ${keyId}`)
    return this.memory.cancelKeyDeletion(keyId)
  }

  /** One `ListAliases (all)` call a page of `listPageSize` (default: every alias on one page). */
  async *listAliasPages(beforePage?: () => Promise<void>): AsyncIterable<AliasEntry[]> {
    const all = await this.aliasView({})
    const size = this.options.listPageSize ?? Math.max(1, all.length)
    for (let start = 0; start === 0 || start < all.length; start += size) {
      await beforePage?.()
      this.calls.push('ListAliases (all)')
      yield all.slice(start, start + size)
    }
  }

  async listKeys(): Promise<string[]> {
    this.calls.push('ListKeys')
    return this.memory.listKeys()
  }

  // The crypto operations (the use probe): recorded, then done by the in-memory KMS.
  async encrypt(request: Crypto.EncryptRequest): Promise<Crypto.EncryptAnswer> {
    this.calls.push(`Encrypt ${request.keyRef}`)
    return this.memory.encrypt(request)
  }

  async decrypt(request: Crypto.DecryptRequest): Promise<Crypto.DecryptAnswer> {
    this.calls.push(`Decrypt ${request.keyRef ?? '(key of the ciphertext)'}`)
    return this.memory.decrypt(request)
  }

  async sign(request: Crypto.SignRequest): Promise<Crypto.SignAnswer> {
    this.calls.push(`Sign ${request.keyRef}`)
    return this.memory.sign(request)
  }

  async verify(request: Crypto.VerifyRequest): Promise<Crypto.VerifyAnswer> {
    this.calls.push(`Verify ${request.keyRef}`)
    return this.memory.verify(request)
  }

  async generateMac(request: Crypto.GenerateMacRequest): Promise<Crypto.GenerateMacAnswer> {
    this.calls.push(`GenerateMac ${request.keyRef}`)
    return this.memory.generateMac(request)
  }

  async verifyMac(request: Crypto.VerifyMacRequest): Promise<Crypto.VerifyMacAnswer> {
    this.calls.push(`VerifyMac ${request.keyRef}`)
    return this.memory.verifyMac(request)
  }

  async deriveSharedSecret(request: Crypto.DeriveSharedSecretRequest): Promise<Crypto.DeriveSharedSecretAnswer> {
    this.calls.push(`DeriveSharedSecret ${request.keyRef}`)
    return this.memory.deriveSharedSecret(request)
  }

  async getPublicKey(keyRef: string): Promise<Crypto.PublicKeyAnswer> {
    this.calls.push(`GetPublicKey ${keyRef}`)
    return this.memory.getPublicKey(keyRef)
  }

  async encapsulate(request: Crypto.EncapsulateRequest): Promise<Crypto.EncapsulateAnswer> {
    this.calls.push(`Encapsulate ${request.keyRef}`)
    return this.memory.encapsulate(request)
  }

  async decapsulate(request: Crypto.DecapsulateRequest): Promise<Crypto.DecapsulateAnswer> {
    this.calls.push(`Decapsulate ${request.keyRef}`)
    return this.memory.decapsulate(request)
  }

  private arnOf(aliasName: string): string {
    return `arn:aws:kms:${this.regionName}:${this.accountName}:${aliasName}`
  }

  /** Applies a change through the in-memory KMS, keeping the old mapping for stale reads, with injected failures. */
  private async mutate(operation: Mutation, subject: string, apply: () => Promise<void>): Promise<void> {
    this.calls.push(`${operation} ${subject}`)
    const configured = this.options.failures?.[operation]
    const nth = this.calls.filter((c) => c.startsWith(`${operation} `)).length
    const failure = configured && (configured.call === undefined || configured.call === nth) ? configured : undefined
    if (failure && !failure.applied) throw failure.error
    const before = new Map(this.aliases)
    await apply()
    this.staleSnapshot = before
    this.staleLeft = this.options.staleReads ?? 0
    this.staleDescribeLeft = this.options.staleDescribeReads ?? 0
    if (failure) throw failure.error
  }

  /** The calls that change something. */
  mutations(): string[] {
    return this.calls.filter((c) => c.startsWith('UpdateAlias') || c.startsWith('CreateAlias') || c.startsWith('DeleteAlias'))
  }
}

/** KMS's default key policy: the key's account, through IAM, may do everything. */
export function defaultPolicy(k: Pick<KeyInfo, 'accountId'>): string {
  return defaultKeyPolicy(k.accountId)
}

/** What the adapter throws when an operation stays throttled through the SDK's retries. */
export const throttled = (operation = 'UpdateAlias') => new AwsError(`${operation} failed (3 attempts): ThrottlingException: Rate exceeded`, 'ThrottlingException')

type AccessRead = 'getKeyPolicy' | 'listGrants' | 'listResourceTags' | 'getKeyRotationStatus'

/** The access preflight's four reads of one symmetric key. */
export const ACCESS_READS: readonly AccessRead[] = ['getKeyPolicy', 'listGrants', 'listResourceTags', 'getKeyRotationStatus']

/**
 * Holds the port's ListAliases calls until the access reads `reads` have all started (or 200 ms
 * after the first ListAliases, so that code which waits for ListAliases before reading fails
 * instead of hanging). `readsWhileListing()` counts the reads that started while at least `listing`
 * ListAliases calls were held (a read that waited for a ListAliases answer is not counted).
 */
export function holdListAliases(kms: FakeKms, listing: number, reads: readonly AccessRead[]): { readsWhileListing: () => number; done: () => void } {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  let fallback: ReturnType<typeof setTimeout> | undefined
  let held = 0
  let started = 0
  const listAliases = kms.listAliases.bind(kms)
  kms.listAliases = async (filter) => {
    fallback ??= setTimeout(() => release(), 200)
    held += 1
    await gate
    held -= 1
    return listAliases(filter)
  }
  for (const op of new Set(reads)) {
    const original = kms[op].bind(kms) as (id: string) => Promise<unknown>
    ;(kms as unknown as Record<string, (id: string) => Promise<unknown>>)[op] = async (id: string) => {
      if (held >= listing) started += 1
      if (started === reads.length) release()
      return original(id)
    }
  }
  return { readsWhileListing: () => started, done: () => clearTimeout(fallback) }
}
