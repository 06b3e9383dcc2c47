// rotate's own rules and plan, pure: which keys can be rotated by making a new key and moving the
// alias, and what that new key is made with. The command does the reads; the move itself is then
// checked by the update preflight (plan.ts) against the planned key. Facts: kms-facts.md sections
// 10 and 15 (KMS developer guide: rotate-keys-manually.html, rotate-keys.html, multi-region-keys).
import { isReservedAlias, parseArn } from '../kms/identifiers.js'
import { defaultKeyPolicy } from '../kms/keyPolicy.js'
import type { KeyInfo, NewKeyRequest } from '../kms/port.js'
import { effectiveKeyUsage, keyClassOf } from '../kms/facts.js'
import type { KeyAccess } from './access.js'
import type { Finding } from './rules.js'

/** Who may use one key, as the access preflight compares it: the old key's, and the planned one's. */
export type AccessSnapshot = KeyAccess

/** The tag every key made by rotate carries, naming the key it replaced. */
export const ROTATED_FROM_TAG = 'kms-alias:rotated-from'
/** Stands for the new key's ID until CreateKey has made it. */
export const PLANNED_KEY_ID = '(new key)'

const STORE_ORIGINS: Record<string, string> = {
  AWS_CLOUDHSM: 'an AWS CloudHSM key store: create the new key in that key store (aws kms create-key --origin AWS_CLOUDHSM --custom-key-store-id …)',
  EXTERNAL_KEY_STORE:
    'an external key store: create the new key there (aws kms create-key --origin EXTERNAL_KEY_STORE --custom-key-store-id … --xks-key-id …)',
}

/** rotate on a reserved alias (alias/aws/…): never described, since DescribeKey could create the AWS managed key. */
export function reservedRotateFindings(aliasName: string): Finding[] {
  if (!isReservedAlias(aliasName)) return []
  return [unsupported(`${aliasName} belongs to an AWS managed key: AWS rotates its key material every year by itself, and no new key can take its place`)]
}

/**
 * Whether `key` can be replaced by a new key that kms-alias makes: ROTATE_UNSUPPORTED (block) if
 * not, else ROTATES_IN_PLACE (info) and REPLICAS_NOT_CREATED (warn) where they apply.
 */
export function rotateSupportFindings(key: KeyInfo): Finding[] {
  const blocks: Finding[] = []
  if (key.keyManager === 'AWS') {
    blocks.push(
      unsupported(
        `${key.keyId} is an AWS managed key: AWS rotates its key material every year by itself, and an alias of yours cannot point to a key that replaces it`,
      ),
    )
  } else if (key.origin === 'EXTERNAL') {
    blocks.push(
      unsupported(
        `the key material of ${key.keyId} is imported (origin EXTERNAL): its replacement needs material that kms-alias cannot supply; ` +
          'create a key with --origin EXTERNAL, import new material into it, then run kms-alias update with --to that key',
      ),
    )
  } else if (key.origin !== undefined && key.origin in STORE_ORIGINS) {
    blocks.push(unsupported(`${key.keyId} is in ${STORE_ORIGINS[key.origin]}, then run kms-alias update with --to that key`))
  } else if (key.origin !== 'AWS_KMS') {
    blocks.push(unsupported(`KMS reported origin ${key.origin ?? '(none)'} for ${key.keyId}; rotate makes keys with KMS key material (AWS_KMS) only`))
  }
  if (keyClassOf(key.keySpec) === undefined) {
    const spec = key.keySpec ?? '(not reported)'
    blocks.push(unsupported(`${key.keyId} has key spec ${spec}, which this version of kms-alias does not know, so it cannot make a key like it`))
  } else if (effectiveKeyUsage(key.keySpec, key.keyUsage) === undefined) {
    const spec = key.keySpec ?? 'its spec'
    blocks.push(unsupported(`KMS did not report the KeyUsage of ${key.keyId} and ${spec} allows more than one, so a key like it cannot be made`))
  }
  if (blocks.length > 0) return blocks

  const findings: Finding[] = []
  if (key.keySpec === 'SYMMETRIC_DEFAULT') {
    findings.push({
      code: 'ROTATES_IN_PLACE',
      severity: 'info',
      message:
        `${key.keyId} is a symmetric key with KMS key material: automatic rotation (aws kms enable-key-rotation) or rotation on demand ` +
        '(aws kms rotate-key-on-demand) would rotate it without moving any alias, and old ciphertexts would still decrypt; rotate makes a new key as asked',
    })
  }
  if (key.multiRegion) {
    const others = replicaRegions(key)
    const made = `the new key is made as a multi-Region key in ${key.region} only`
    findings.push({
      code: 'REPLICAS_NOT_CREATED',
      severity: 'warn',
      message:
        others === undefined
          ? `${key.keyId} is a multi-Region key whose other Regions KMS did not report: ${made}; ` +
            'aliases of the same name elsewhere keep pointing to the old key'
          : `${key.keyId} is a multi-Region key, also in ${others.length > 0 ? others.join(', ') : 'no other Region'}: ${made}, with no replicas; ` +
            'aliases of the same name in those Regions keep pointing to the old key',
    })
  }
  return findings
}

/** The other Regions a multi-Region key is in (primary and replicas), sorted; undefined when unknown. */
export function replicaRegions(key: KeyInfo): string[] | undefined {
  const configuration = key.multiRegionConfiguration
  if (!configuration) return undefined
  const regions = [configuration.primary?.region, ...configuration.replicas.map((r) => r.region)]
    .filter((r): r is string => r !== undefined && r !== key.region)
  return [...new Set(regions)].sort()
}

function unsupported(message: string): Finding {
  return { code: 'ROTATE_UNSUPPORTED', severity: 'block', message }
}

export interface RotationInput {
  old: KeyInfo
  /** What was read about the old key; its policy and tags must be readable when they are copied. */
  access: AccessSnapshot
  copyPolicy: boolean
  copyTags: boolean
  /** --description; by default the old description with where and when it was rotated from. */
  description?: string | undefined
  now: Date
}

export interface RotationPlan {
  /** The one CreateKey call. */
  request: NewKeyRequest
  /** EnableKeyRotation right after CreateKey: the old key rotated automatically. */
  enableRotation: boolean
  /** The new key as the update preflight compares it: what CreateKey makes, with no ID yet. */
  planned: KeyInfo
  oldAccess: AccessSnapshot
  plannedAccess: AccessSnapshot
  /** Tags of the old key that CreateKey refuses (the aws: prefix is AWS's own), so not copied. */
  tagsNotCopied: string[]
}

/** The new key rotate makes for `old`. Throws when a policy or tags to copy were not read (a bug in the caller). */
export function planRotation(input: RotationInput): RotationPlan {
  const { old, access } = input
  const keySpec = old.keySpec
  const keyUsage = effectiveKeyUsage(old.keySpec, old.keyUsage)
  if (keySpec === undefined || keyUsage === undefined) throw new Error(`planRotation: ${old.keyId} has no spec or usage; rotateSupportFindings refuses it`)
  if (input.copyPolicy && !access.policy.ok) throw new Error('planRotation: the policy to copy was not read')
  if (input.copyTags && !access.tags.ok) throw new Error('planRotation: the tags to copy were not read')

  const oldTags = access.tags.ok ? access.tags.value : {}
  const copied = input.copyTags ? Object.entries(oldTags).filter(([k]) => !k.startsWith('aws:')) : []
  const tags = { ...Object.fromEntries(copied), [ROTATED_FROM_TAG]: old.keyId }
  const tagsNotCopied = input.copyTags ? Object.keys(oldTags).filter((k) => k.startsWith('aws:')) : []
  const description = input.description ?? rotatedDescription(old.description, old.keyId, input.now)
  const enableRotation = access.rotation?.ok === true && access.rotation.value
  const partition = parseArn(old.arn)?.partition ?? 'aws'
  const policy = input.copyPolicy && access.policy.ok ? access.policy.value : undefined

  const request: NewKeyRequest = {
    keySpec,
    keyUsage,
    description,
    tags,
    ...(policy === undefined ? {} : { policy }),
    ...(old.multiRegion ? { multiRegion: true } : {}),
  }
  const planned: KeyInfo = {
    keyId: PLANNED_KEY_ID,
    arn: `arn:${partition}:kms:${old.region}:${old.accountId}:key/${PLANNED_KEY_ID}`,
    accountId: old.accountId,
    region: old.region,
    keySpec,
    keyUsage,
    keyState: 'Enabled',
    keyManager: 'CUSTOMER',
    origin: 'AWS_KMS',
    multiRegion: old.multiRegion,
    description,
    // The same spec and usage offer the same algorithms.
    encryptionAlgorithms: [...old.encryptionAlgorithms],
    signingAlgorithms: [...old.signingAlgorithms],
    macAlgorithms: [...old.macAlgorithms],
    keyAgreementAlgorithms: [...old.keyAgreementAlgorithms],
  }
  const plannedAccess: AccessSnapshot = {
    // Without a policy CreateKey gives KMS's default one.
    policy: { ok: true, value: policy ?? defaultKeyPolicy(old.accountId, partition) },
    // A grant belongs to one key; none follows to a new key.
    grants: { ok: true, value: [] },
    tags: { ok: true, value: tags },
    ...(access.rotation ? { rotation: { ok: true, value: enableRotation } } : {}),
  }
  return { request, enableRotation, planned, oldAccess: access, plannedAccess, tagsNotCopied }
}

// What rotate appends to a description; a previous rotation's note is replaced, not stacked.
const ROTATED_NOTE = /\s*\(rotated from \S+ on \d{4}-\d{2}-\d{2}\)$/

/** The old description plus "(rotated from <old key ID> on <YYYY-MM-DD>)", the date in UTC. */
export function rotatedDescription(oldDescription: string | undefined, oldKeyId: string, now: Date): string {
  const base = (oldDescription ?? '').replace(ROTATED_NOTE, '')
  const note = `(rotated from ${oldKeyId} on ${now.toISOString().slice(0, 10)})`
  return base.trim() === '' ? note : `${base} ${note}`
}
