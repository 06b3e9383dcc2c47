/** Key metadata as the rest of the tool sees it: plain data, no SDK types. */
export interface KeyInfo {
  keyId: string
  arn: string
  accountId: string
  region: string
  // `| undefined`: DescribeKey may leave any of these out (moto omits KeyUsage), and the adapter
  // copies them as they come.
  keySpec?: string | undefined
  keyUsage?: string | undefined
  keyState?: string | undefined
  keyManager?: string | undefined
  origin?: string | undefined
  multiRegion: boolean
  validTo?: Date | undefined
  description?: string | undefined
  creationDate?: Date | undefined
  encryptionAlgorithms: string[]
  signingAlgorithms: string[]
  macAlgorithms: string[]
  keyAgreementAlgorithms: string[]
  /** EncapsulationAlgorithms (ML-KEM keys); left out where DescribeKey gives none. */
  encapsulationAlgorithms?: string[]
  /** Present on multi-Region keys: where the primary and the replicas are. */
  multiRegionConfiguration?: MultiRegionConfiguration
  /** When a key pending deletion is deleted (DescribeKey's DeletionDate). */
  deletionDate?: Date | undefined
}

export interface MultiRegionConfiguration {
  keyType: 'PRIMARY' | 'REPLICA'
  primary?: { arn: string; region: string }
  replicas: { arn: string; region: string }[]
}

/** A grant on one key (ListGrants), as plain data. */
export interface GrantInfo {
  grantId: string
  name?: string
  granteePrincipal?: string
  retiringPrincipal?: string
  issuingAccount?: string
  operations: string[]
  constraints?: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> }
}

/** What CreateKey needs for a key kms-alias makes itself (rotate). */
export interface NewKeyRequest {
  keySpec: string
  keyUsage: string
  description?: string
  /** The key policy document (JSON text); omitted means KMS's default policy. */
  policy?: string
  tags?: Record<string, string>
  /** A multi-Region primary key (its ID starts with mrk-); replicas are made separately. */
  multiRegion?: boolean
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
  /** The account these credentials act on (STS GetCallerIdentity, asked once). */
  accountId(): Promise<string>
  /** DescribeKey; `keyRef` is a key ID, key ARN, alias name or alias ARN. */
  describeKey(keyRef: string): Promise<KeyInfo>
  /** ListAliases across every page, optionally only those pointing at one key. */
  listAliases(filter?: { keyId?: string }): Promise<AliasEntry[]>
  /** Every alias of the Region when they fit in `maxPages` pages of ListAliases; undefined when there are more. */
  listAliasesWithin(maxPages: number): Promise<AliasEntry[] | undefined>
  updateAlias(aliasName: string, targetKeyId: string): Promise<void>
  /** Throws ConflictError when the alias exists already. */
  createAlias(aliasName: string, targetKeyId: string): Promise<void>
  deleteAlias(aliasName: string): Promise<void>
  /** GetKeyPolicy with the policy name `default`: the policy document as JSON text. */
  getKeyPolicy(keyId: string): Promise<string>
  /** ListGrants across every page. */
  listGrants(keyId: string): Promise<GrantInfo[]>
  /** ListResourceTags across every page, as a tag-key to tag-value map. */
  listResourceTags(keyId: string): Promise<Record<string, string>>
  /** GetKeyRotationStatus: whether automatic rotation is on. */
  getKeyRotationStatus(keyId: string): Promise<boolean>
  /** CreateKey (never with BypassPolicyLockoutSafetyCheck). */
  createKey(request: NewKeyRequest): Promise<KeyInfo>
  enableKeyRotation(keyId: string): Promise<void>
  disableKey(keyId: string): Promise<void>

  // Issue 21 (usage, retire): the key's last use and the key-state writes retire makes.
  /** GetKeyLastUsage: the last successful cryptographic operation, and since when KMS tracks it. */
  getKeyLastUsage(keyId: string): Promise<KeyLastUsage>
  enableKey(keyId: string): Promise<void>
  /** ScheduleKeyDeletion; answers the date the key will be deleted. */
  scheduleKeyDeletion(keyId: string, pendingWindowInDays: number): Promise<{ deletionDate?: Date }>
  /** CancelKeyDeletion: the key is left Disabled, as KMS leaves it. */
  cancelKeyDeletion(keyId: string): Promise<void>

  // Cryptographic operations (the use probe). `keyRef` is a key ID, key ARN, alias name or alias
  // ARN; every answer carries `keyId` as KMS answered it (a key ARN, or a bare key ID where KMS or
  // an emulator answers one), undefined when the answer has none.
  encrypt(request: EncryptRequest): Promise<EncryptAnswer>
  decrypt(request: DecryptRequest): Promise<DecryptAnswer>
  sign(request: SignRequest): Promise<SignAnswer>
  /** Verify; KMS answers an invalid signature with KMSInvalidSignatureException (moto with signatureValid false). */
  verify(request: VerifyRequest): Promise<VerifyAnswer>
  generateMac(request: GenerateMacRequest): Promise<GenerateMacAnswer>
  /** VerifyMac; KMS answers an invalid MAC with KMSInvalidMacException. */
  verifyMac(request: VerifyMacRequest): Promise<VerifyMacAnswer>
  deriveSharedSecret(request: DeriveSharedSecretRequest): Promise<DeriveSharedSecretAnswer>
  getPublicKey(keyRef: string): Promise<PublicKeyAnswer>
  encapsulate(request: EncapsulateRequest): Promise<EncapsulateAnswer>
  decapsulate(request: DecapsulateRequest): Promise<DecapsulateAnswer>
  /**
   * ListAliases of the whole Region, one page at a time, so a long listing is never held whole;
   * `beforePage` is awaited before each request (a pacer), and only when a request is made.
   */
  listAliasPages(beforePage?: () => Promise<void>): AsyncIterable<AliasEntry[]>
  /** ListKeys across every page: the key IDs of the Region, every state and manager. */
  listKeys(): Promise<string[]>
}

/** GetKeyLastUsage's answer as plain data (kms-facts.md section 16). */
export interface KeyLastUsage {
  keyId: string
  /** Absent: no successful cryptographic operation since `trackingStartDate`. */
  /** Without `timestamp`: used, when unknown. */
  lastUsage?: { operation: string; timestamp?: Date; cloudTrailEventId?: string; kmsRequestId?: string }
  trackingStartDate?: Date
  keyCreationDate?: Date
}

// The crypto operations' requests and answers: plain data, bytes as Uint8Array, algorithm names as
// KMS spells them (SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256, ECDSA_SHA_256, HMAC_SHA_256, ECDH, ML_KEM).

/** What KMS said did the work: the KeyId of its answer, as it came. */
export interface CryptoAnswer {
  keyId: string | undefined
}

export interface EncryptRequest {
  keyRef: string
  plaintext: Uint8Array
  /** Omitted: SYMMETRIC_DEFAULT, as in KMS. */
  encryptionAlgorithm?: string
  /** Symmetric keys only; bound to the ciphertext (Decrypt must give the same). */
  encryptionContext?: Record<string, string>
}
export interface EncryptAnswer extends CryptoAnswer {
  ciphertext: Uint8Array
}

export interface DecryptRequest {
  /** Required for asymmetric keys; for symmetric ones KMS takes the key from the ciphertext and refuses another. */
  keyRef?: string
  ciphertext: Uint8Array
  encryptionAlgorithm?: string
  encryptionContext?: Record<string, string>
}
export interface DecryptAnswer extends CryptoAnswer {
  plaintext: Uint8Array
}

export type MessageType = 'RAW' | 'DIGEST'

export interface SignRequest {
  keyRef: string
  message: Uint8Array
  signingAlgorithm: string
  /** Omitted: RAW (KMS hashes the message; at most 4096 bytes). */
  messageType?: MessageType
}
export interface SignAnswer extends CryptoAnswer {
  signature: Uint8Array
}

export interface VerifyRequest extends SignRequest {
  signature: Uint8Array
}
export interface VerifyAnswer extends CryptoAnswer {
  signatureValid: boolean
}

export interface GenerateMacRequest {
  keyRef: string
  message: Uint8Array
  macAlgorithm: string
}
export interface GenerateMacAnswer extends CryptoAnswer {
  mac: Uint8Array
}

export interface VerifyMacRequest extends GenerateMacRequest {
  mac: Uint8Array
}
export interface VerifyMacAnswer extends CryptoAnswer {
  macValid: boolean
}

export interface DeriveSharedSecretRequest {
  keyRef: string
  /** ECDH */
  keyAgreementAlgorithm: string
  /** The other party's public key, DER-encoded X.509 SubjectPublicKeyInfo, on the key's curve. */
  publicKey: Uint8Array
}
export interface DeriveSharedSecretAnswer extends CryptoAnswer {
  sharedSecret: Uint8Array
}

export interface PublicKeyAnswer extends CryptoAnswer {
  /** DER-encoded X.509 SubjectPublicKeyInfo. */
  publicKey: Uint8Array
  keySpec: string | undefined
  keyUsage: string | undefined
}

export interface EncapsulateRequest {
  keyRef: string
  /** ML_KEM */
  encapsulationAlgorithm: string
}
export interface EncapsulateAnswer extends CryptoAnswer {
  sharedSecret: Uint8Array
  ciphertext: Uint8Array
}

export interface DecapsulateRequest {
  keyRef: string
  encapsulationAlgorithm: string
  ciphertext: Uint8Array
}
export interface DecapsulateAnswer extends CryptoAnswer {
  sharedSecret: Uint8Array
}

/** The --endpoint-url that selects the in-memory KMS of this process (src/kms/memory.ts) instead of the SDK. */
export const MEMORY_ENDPOINT = 'memory:'

/**
 * What every AWS client of a run shares (KMS, STS, IAM), resolved once per run by the session
 * (src/cli/session.ts); unset fields leave the SDK's own default chain in charge.
 */
export interface AwsSettings {
  region?: string
  profile?: string
  maxAttempts?: number
  /**
   * The wait in milliseconds before the SDK's retry number `retry` (1 is the first retry). Unset, the
   * SDK's own backoff applies (exponential with jitter, on a longer base for throttling); a run on
   * a fake clock gives its own, so that no retry waits in real time.
   */
  retryDelayMs?: (retry: number) => number
  /** Per request, connection included; default 15 s. */
  requestTimeoutMs?: number
  /** Receives one line per AWS call (operation, outcome, duration) when --debug is on. */
  debug?: (line: string) => void
  /** Receives the SDK's warnings, explained, for our stderr (the SDK would print them raw). */
  warn?: (line: string) => void
  /** The environment, to explain configuration errors (which profile, which Region variable). */
  env?: Readonly<Record<string, string | undefined>>
  /** Aborts the calls in flight (the run's signal: Ctrl-C, SIGTERM, SIGHUP). */
  signal?: AbortSignal
  /** Every call uses credentials from STS AssumeRole of this role (--role-arn, or apply's --role-name). */
  role?: AssumeRoleConfig
}

/** The settings of a KMS port: the shared ones and the KMS endpoint (--endpoint-url is for KMS only). */
export interface KmsConfig extends AwsSettings {
  endpointUrl?: string
}

/** What --role-arn, --role-session-name and --external-id ask for. */
export interface AssumeRoleConfig {
  arn: string
  sessionName: string
  externalId?: string
}
