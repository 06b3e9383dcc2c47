import { AwsError, ConflictError, NotFoundError } from '../../src/errors.js'
import type { AliasEntry, KeyInfo, KmsPort } from '../../src/kms/port.js'

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
  /** ListAliases keeps showing the mapping from before UpdateAlias for this many reads. */
  staleReads?: number
  /** Thrown by a mutating call after (applied: true) or instead of (false) applying it; only on the `call`-th call of it when given. */
  failures?: Partial<Record<Mutation, { error: Error; applied: boolean; call?: number }>>
  region?: string | Error
}

/** An in-memory KMS that records every call; behaves as KMS does for what the tool uses. */
export class FakeKms implements KmsPort {
  readonly keys = new Map<string, KeyInfo>()
  readonly aliases = new Map<string, string>()
  readonly calls: string[] = []
  private staleSnapshot: Map<string, string> | undefined
  private staleLeft: number

  constructor(private readonly options: FakeKmsOptions = {}) {
    for (const k of options.keys ?? []) this.keys.set(k.keyId, k)
    for (const [name, keyId] of Object.entries(options.aliases ?? {})) this.aliases.set(name, keyId)
    this.staleLeft = options.staleReads ?? 0
  }

  async region(): Promise<string> {
    const region = this.options.region ?? REGION
    if (region instanceof Error) throw region
    return region
  }

  async describeKey(keyRef: string): Promise<KeyInfo> {
    this.calls.push(`DescribeKey ${keyRef}`)
    const keyId = this.resolve(keyRef)
    const found = keyId === undefined ? undefined : this.keys.get(keyId)
    if (!found) throw new NotFoundError(`${keyRef} not found in ${REGION}`)
    return found
  }

  async listAliases(filter: { keyId?: string } = {}): Promise<AliasEntry[]> {
    this.calls.push(`ListAliases ${filter.keyId ?? '(all)'}`)
    let view = this.aliases
    if (this.staleSnapshot && this.staleLeft > 0) {
      this.staleLeft -= 1
      view = this.staleSnapshot
    }
    return [...view.entries()]
      .filter(([, target]) => filter.keyId === undefined || target === filter.keyId)
      .map(([name, targetKeyId]) => ({ name, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`, targetKeyId }))
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
    if (failure) throw failure.error
  }

  /** The calls that change something. */
  mutations(): string[] {
    return this.calls.filter((c) => c.startsWith('UpdateAlias') || c.startsWith('CreateAlias') || c.startsWith('DeleteAlias'))
  }

  private resolve(keyRef: string): string | undefined {
    if (keyRef.startsWith('alias/')) return this.aliases.get(keyRef)
    if (keyRef.startsWith('arn:')) {
      const resource = keyRef.split(':').slice(5).join(':')
      return resource.startsWith('alias/') ? this.aliases.get(resource) : resource.replace(/^key\//, '')
    }
    return keyRef
  }
}

/** What the adapter throws when an operation stays throttled through the SDK's retries. */
export const throttled = (operation = 'UpdateAlias') => new AwsError(`${operation} failed (3 attempts): ThrottlingException: Rate exceeded`, 'ThrottlingException')
