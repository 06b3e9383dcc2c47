import { AwsError, ConflictError, NotFoundError } from '../../src/errors.js'
import type { AliasEntry, GrantInfo, KeyInfo, KmsPort, NewKeyRequest } from '../../src/kms/port.js'

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
}

/** An in-memory KMS that records every call; behaves as KMS does for what the tool uses. */
export class FakeKms implements KmsPort {
  readonly keys = new Map<string, KeyInfo>()
  readonly aliases = new Map<string, string>()
  readonly calls: string[] = []
  readonly policies = new Map<string, string>()
  readonly grants = new Map<string, GrantInfo[]>()
  readonly tags = new Map<string, Record<string, string>>()
  readonly rotation = new Map<string, boolean>()
  private staleSnapshot: Map<string, string> | undefined
  private staleLeft: number
  private staleDescribeLeft = 0

  constructor(private readonly options: FakeKmsOptions = {}) {
    for (const k of options.keys ?? []) this.keys.set(k.keyId, k)
    for (const [name, keyId] of Object.entries(options.aliases ?? {})) this.aliases.set(name, keyId)
    this.staleLeft = options.staleReads ?? 0
    for (const [keyId, policy] of Object.entries(options.policies ?? {})) this.policies.set(keyId, policy)
    for (const [keyId, grants] of Object.entries(options.grants ?? {})) this.grants.set(keyId, grants)
    for (const [keyId, tags] of Object.entries(options.tags ?? {})) this.tags.set(keyId, tags)
    for (const [keyId, enabled] of Object.entries(options.rotation ?? {})) this.rotation.set(keyId, enabled)
  }

  async region(): Promise<string> {
    const region = this.options.region ?? REGION
    if (region instanceof Error) throw region
    return region
  }

  async accountId(): Promise<string> {
    this.calls.push('GetCallerIdentity')
    const account = this.options.account ?? ACCOUNT
    if (account instanceof Error) throw account
    return account
  }

  async describeKey(keyRef: string): Promise<KeyInfo> {
    this.calls.push(`DescribeKey ${keyRef}`)
    let aliases = this.aliases
    if (this.staleSnapshot && this.staleDescribeLeft > 0 && keyRef.startsWith('alias/')) {
      this.staleDescribeLeft -= 1
      aliases = this.staleSnapshot
    }
    const keyId = this.resolve(keyRef, aliases)
    const found = keyId === undefined ? undefined : this.keys.get(keyId)
    if (!found) throw new NotFoundError(`${keyRef} not found in ${REGION}`)
    return found
  }

  async listAliases(filter: { keyId?: string } = {}): Promise<AliasEntry[]> {
    this.calls.push(`ListAliases ${filter.keyId ?? '(all)'}`)
    return this.aliasView(filter)
  }

  private aliasView(filter: { keyId?: string }): AliasEntry[] {
    let view = this.aliases
    if (this.staleSnapshot && this.staleLeft > 0) {
      this.staleLeft -= 1
      view = this.staleSnapshot
    }
    return [...view.entries()]
      .filter(([, target]) => filter.keyId === undefined || target === filter.keyId)
      .map(([name, targetKeyId]) => ({ name, arn: `arn:aws:kms:${this.regionName()}:${this.accountName()}:${name}`, targetKeyId }))
  }

  /** One `ListAliases (all)` call a page of `listPageSize` (default: every alias on one page). */
  async listAliasesWithin(maxPages: number): Promise<AliasEntry[] | undefined> {
    const size = this.options.listPageSize ?? Number.POSITIVE_INFINITY
    const pages = Math.max(1, Math.ceil(this.aliases.size / size))
    for (let page = 1; page <= Math.min(pages, maxPages); page++) this.calls.push('ListAliases (all)')
    if (pages > maxPages) return undefined
    return this.aliasView({})
  }

  async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    this.mutate('UpdateAlias', `${aliasName} ${targetKeyId}`, () => {
      if (!this.aliases.has(aliasName)) throw new NotFoundError(`${aliasName} not found`)
      this.aliases.set(aliasName, targetKeyId)
    })
  }

  async createAlias(aliasName: string, targetKeyId: string): Promise<void> {
    this.mutate('CreateAlias', `${aliasName} ${targetKeyId}`, () => {
      if (this.aliases.has(aliasName)) throw new ConflictError(`${aliasName} already exists in ${REGION}`, 'to point it to another key, use kms-alias update')
      if (!this.keys.has(targetKeyId)) throw new NotFoundError(`${targetKeyId} not found`)
      this.aliases.set(aliasName, targetKeyId)
    })
  }

  async deleteAlias(aliasName: string): Promise<void> {
    this.mutate('DeleteAlias', aliasName, () => {
      if (!this.aliases.delete(aliasName)) throw new NotFoundError(`${aliasName} not found in ${REGION}`)
    })
  }

  async getKeyPolicy(keyId: string): Promise<string> {
    this.calls.push(`GetKeyPolicy ${keyId}`)
    this.existing(keyId)
    return this.policies.get(keyId) ?? defaultPolicy(this.keys.get(keyId) as KeyInfo)
  }

  async listGrants(keyId: string): Promise<GrantInfo[]> {
    this.calls.push(`ListGrants ${keyId}`)
    this.existing(keyId)
    return this.grants.get(keyId) ?? []
  }

  async listResourceTags(keyId: string): Promise<Record<string, string>> {
    this.calls.push(`ListResourceTags ${keyId}`)
    this.existing(keyId)
    return { ...(this.tags.get(keyId) ?? {}) }
  }

  async getKeyRotationStatus(keyId: string): Promise<boolean> {
    this.calls.push(`GetKeyRotationStatus ${keyId}`)
    this.existing(keyId)
    return this.rotation.get(keyId) ?? false
  }

  async createKey(request: NewKeyRequest): Promise<KeyInfo> {
    this.calls.push(`CreateKey ${request.keySpec} ${request.keyUsage}`)
    const created = key({
      keySpec: request.keySpec,
      keyUsage: request.keyUsage,
      ...(request.description === undefined ? {} : { description: request.description }),
      ...(request.multiRegion ? { keyId: `mrk-${newKeyId().replaceAll('-', '')}`, multiRegion: true } : {}),
    })
    this.keys.set(created.keyId, created)
    if (request.policy !== undefined) this.policies.set(created.keyId, request.policy)
    if (request.tags) this.tags.set(created.keyId, { ...request.tags })
    return created
  }

  async enableKeyRotation(keyId: string): Promise<void> {
    this.calls.push(`EnableKeyRotation ${keyId}`)
    this.existing(keyId)
    this.rotation.set(keyId, true)
  }

  async disableKey(keyId: string): Promise<void> {
    this.calls.push(`DisableKey ${keyId}`)
    const found = this.existing(keyId)
    this.keys.set(keyId, { ...found, keyState: 'Disabled' })
  }

  private regionName(): string {
    return typeof this.options.region === 'string' ? this.options.region : REGION
  }

  private accountName(): string {
    return typeof this.options.account === 'string' ? this.options.account : ACCOUNT
  }

  private existing(keyId: string): KeyInfo {
    const found = this.keys.get(keyId)
    if (!found) throw new NotFoundError(`${keyId} not found in ${REGION}`)
    return found
  }

  /** Applies a change as KMS would, keeping the old state for stale reads, with injected failures. */
  private mutate(operation: Mutation, subject: string, apply: () => void): void {
    this.calls.push(`${operation} ${subject}`)
    const configured = this.options.failures?.[operation]
    const nth = this.calls.filter((c) => c.startsWith(`${operation} `)).length
    const failure = configured && (configured.call === undefined || configured.call === nth) ? configured : undefined
    if (failure && !failure.applied) throw failure.error
    const before = new Map(this.aliases)
    apply()
    this.staleSnapshot = before
    this.staleLeft = this.options.staleReads ?? 0
    this.staleDescribeLeft = this.options.staleDescribeReads ?? 0
    if (failure) throw failure.error
  }

  /** The calls that change something. */
  mutations(): string[] {
    return this.calls.filter((c) => c.startsWith('UpdateAlias') || c.startsWith('CreateAlias') || c.startsWith('DeleteAlias'))
  }

  private resolve(keyRef: string, aliases = this.aliases): string | undefined {
    if (keyRef.startsWith('alias/')) return aliases.get(keyRef)
    if (keyRef.startsWith('arn:')) {
      const resource = keyRef.split(':').slice(5).join(':')
      return resource.startsWith('alias/') ? aliases.get(resource) : resource.replace(/^key\//, '')
    }
    return keyRef
  }
}

/** KMS's default key policy: the key's account, through IAM, may do everything. */
export function defaultPolicy(k: Pick<KeyInfo, 'accountId'>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${k.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  })
}

/** What the adapter throws when an operation stays throttled through the SDK's retries. */
export const throttled = (operation = 'UpdateAlias') => new AwsError(`${operation} failed (3 attempts): ThrottlingException: Rate exceeded`, 'ThrottlingException')

type AccessRead = 'getKeyPolicy' | 'listGrants' | 'listResourceTags' | 'getKeyRotationStatus'

/** The access preflight's four reads of one symmetric key. */
export const ACCESS_READS: readonly AccessRead[] = ['getKeyPolicy', 'listGrants', 'listResourceTags', 'getKeyRotationStatus']

/**
 * Holds the port's ListAliases calls until the access reads `reads` have all started (or 200 ms
 * after the first ListAliases, so that code which waits for ListAliases before reading fails
 * instead of hanging). `readsWhileListing()` counts the reads that started while `listing`
 * ListAliases calls were held.
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
      if (held === listing) started += 1
      if (started === reads.length) release()
      return original(id)
    }
  }
  return { readsWhileListing: () => started, done: () => clearTimeout(fallback) }
}
