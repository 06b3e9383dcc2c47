/** Key metadata as the rest of the tool sees it: plain data, no SDK types. */
export interface KeyInfo {
  keyId: string
  arn: string
  accountId: string
  region: string
  keySpec?: string
  keyUsage?: string
  keyState?: string
  keyManager?: string
  origin?: string
  multiRegion: boolean
  validTo?: Date
  description?: string
  creationDate?: Date
  encryptionAlgorithms: string[]
  signingAlgorithms: string[]
  macAlgorithms: string[]
  keyAgreementAlgorithms: string[]
}

export interface AliasEntry {
  name: string
  arn?: string
  targetKeyId?: string
  lastUpdated?: Date
}

/** What kms-alias needs from KMS. Implemented by the SDK adapter (client.ts) and by test fakes. */
export interface KmsPort {
  /** The Region requests go to; throws an AccessError when none is configured. */
  region(): Promise<string>
  /** DescribeKey; `keyRef` is a key ID, key ARN, alias name or alias ARN. */
  describeKey(keyRef: string): Promise<KeyInfo>
  /** ListAliases across every page, optionally only those pointing at one key. */
  listAliases(filter?: { keyId?: string }): Promise<AliasEntry[]>
  updateAlias(aliasName: string, targetKeyId: string): Promise<void>
  /** Throws ConflictError when the alias exists already. */
  createAlias(aliasName: string, targetKeyId: string): Promise<void>
  deleteAlias(aliasName: string): Promise<void>
}

/** Settings from the global options; unset fields leave the SDK's own default chain in charge. */
export interface KmsConfig {
  region?: string
  profile?: string
  endpointUrl?: string
  maxAttempts?: number
  /** Per request, connection included; default 15 s. */
  requestTimeoutMs?: number
  /** Receives one line per KMS call (operation, outcome, duration) when --debug is on. */
  debug?: (line: string) => void
  signal?: AbortSignal
}
