// Will the callers of the current key still be allowed to use the new one? Pure rules over what
// the reads returned (key policies, grants, tags, rotation, IAM identity policies). Facts behind
// them: kms-facts.md section 15 (KMS developer guide: key policies, grants, abac.html,
// alias-authorization.html, rotate-keys-manually.html).
import type { IdentityPolicy } from '../iam/port.js'
import { parseArn } from '../kms/identifiers.js'
import type { GrantInfo, KeyInfo } from '../kms/port.js'
import { keyClassOf } from '../kms/facts.js'
import { comparePolicies, normalizePolicy, summarizeActions, wildcardPattern, type AliasCondition, type NormalizedPolicy } from './policy.js'
import type { Finding } from './rules.js'

/** A read's result: its value, or why it failed (the comparison it feeds is then skipped). */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string }

/** What the access preflight read about one key. `rotation` is undefined when not read (not symmetric). */
export interface KeyAccess {
  policy: Read<string>
  grants: Read<GrantInfo[]>
  tags: Read<Record<string, string>>
  rotation?: Read<boolean> | undefined
}

export interface AccessInput {
  /** The alias being moved; undefined when compare is given two keys. */
  aliasName?: string | undefined
  current: KeyInfo
  target: KeyInfo
  currentAccess: KeyAccess
  targetAccess: KeyAccess
  /** Only with --iam. */
  iam?: Read<IdentityPolicy[]>
  allowAccessChange: boolean
}

const WHICH = { current: 'the current key', target: 'the new key' } as const
const partitionOf = (key: KeyInfo) => parseArn(key.arn)?.partition ?? 'aws'

/** Every access finding for moving an alias from `current` to `target`. */
export function accessFindings(input: AccessInput): Finding[] {
  if (input.current.keyId === input.target.keyId) return []
  const findings: Finding[] = []
  const unchecked = (what: string, error: string) =>
    findings.push({ code: 'ACCESS_UNCHECKED', severity: 'warn', message: `${what} could not be read (${error}); the access comparison is incomplete` })

  const policies: Partial<Record<keyof typeof WHICH, NormalizedPolicy>> = {}
  for (const which of ['current', 'target'] as const) {
    const read = which === 'current' ? input.currentAccess.policy : input.targetAccess.policy
    if (!read.ok) {
      unchecked(`the key policy of ${WHICH[which]}`, read.error)
      continue
    }
    try {
      policies[which] = normalizePolicy(read.value, partitionOf(which === 'current' ? input.current : input.target))
    } catch (error) {
      unchecked(`the key policy of ${WHICH[which]}`, `not a policy document: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  for (const which of ['current', 'target'] as const) {
    for (const reason of policies[which]?.uncomparable ?? []) {
      findings.push({
        code: 'ACCESS_UNCHECKED',
        severity: 'warn',
        message: `${reason} in the key policy of ${WHICH[which]}; it cannot be compared, so the access comparison is incomplete`,
      })
    }
  }
  if (policies.current && policies.target) findings.push(...policyFindings(policies.current, policies.target, input.allowAccessChange))
  for (const which of ['current', 'target'] as const) {
    const uses = aliasKeysIn(policies[which]?.statements.flatMap((s) => s.aliasConditions) ?? [])
    if (uses.length > 0) {
      findings.push({
        code: 'ALIAS_IN_POLICY',
        severity: 'warn',
        message: `the key policy of ${WHICH[which]} grants or denies by ${uses.join(' and ')}: moving ${input.aliasName ?? 'an alias'} changes who can use both keys (allow up to 5 minutes for it to take effect)`,
      })
    }
  }

  const { currentAccess: ca, targetAccess: ta } = input
  if (!ca.grants.ok) unchecked(`the grants of ${WHICH.current}`, ca.grants.error)
  if (!ta.grants.ok) unchecked(`the grants of ${WHICH.target}`, ta.grants.error)
  if (ca.grants.ok && ta.grants.ok) findings.push(...grantFindings(ca.grants.value, ta.grants.value, input.allowAccessChange))

  if (!ca.tags.ok) unchecked(`the tags of ${WHICH.current}`, ca.tags.error)
  if (!ta.tags.ok) unchecked(`the tags of ${WHICH.target}`, ta.tags.error)
  if (ca.tags.ok && ta.tags.ok) findings.push(...tagFindings(ca.tags.value, ta.tags.value))

  if (ca.rotation && !ca.rotation.ok) unchecked(`the rotation status of ${WHICH.current}`, ca.rotation.error)
  if (ta.rotation && !ta.rotation.ok) unchecked(`the rotation status of ${WHICH.target}`, ta.rotation.error)
  if (ca.rotation?.ok && ca.rotation.value && (ta.rotation === undefined || (ta.rotation.ok && !ta.rotation.value))) {
    findings.push({
      code: 'ROTATION_DIFFERS',
      severity: 'warn',
      message: `the current key rotates automatically every year; the new key ${input.target.keyId} does not (enable it with aws kms enable-key-rotation)`,
    })
  }

  findings.push(...oldArtifactFindings(input.current))

  if (input.iam && !input.iam.ok) unchecked('the IAM identity policies (--iam)', input.iam.error)
  if (input.iam?.ok) findings.push(...iamFindings(input.iam.value, input.current, input.target, input.aliasName))
  return findings
}

const aliasKeysIn = (conditions: readonly AliasCondition[]) => [...new Set(conditions.map((c) => c.key))].sort()

/** ACCESS_NARROWED and ACCESS_CONDITIONS_DIFFER from two normalized key policies. */
export function policyFindings(current: NormalizedPolicy, target: NormalizedPolicy, allowAccessChange: boolean): Finding[] {
  const { missing, changedConditions } = comparePolicies(current, target)
  const findings: Finding[] = []
  if (missing.length > 0) {
    const byPrincipal = groupBy(missing, (m) => m.principal)
    const parts = [...byPrincipal].map(([principal, items]) => {
      const denied = items.filter((m) => m.denied).map((m) => m.action)
      return `${principal} (${summarizeActions(items.map((m) => m.action))}${denied.length > 0 ? `; denied: ${summarizeActions(denied)}` : ''})`
    })
    findings.push({
      code: 'ACCESS_NARROWED',
      severity: allowAccessChange ? 'warn' : 'block',
      message: `the new key's policy does not allow what the current key's policy allows: ${parts.join('; ')}${allowAccessChange ? '' : ' (fix the new key policy, or pass --allow-access-change)'}`,
    })
  }
  if (changedConditions.length > 0) {
    const parts = [...groupBy(changedConditions, (c) => `${c.principal}\u0000${c.current.join(' | ')}\u0000${c.next.join(' | ')}`).values()].map((items) => {
      const [first] = items as [(typeof items)[number]]
      return `${first.principal} (${summarizeActions(items.map((c) => c.action))}): now ${first.current.join(' | ')}; new key ${first.next.join(' | ')}`
    })
    findings.push({
      code: 'ACCESS_CONDITIONS_DIFFER',
      severity: 'warn',
      message: `allowed on both keys under different conditions (compared, not evaluated): ${parts.join('; ')}`,
    })
  }
  return findings
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/**
 * A grant an AWS service made for one of its resources (an EBS volume, an RDS instance…): its
 * encryption context names the resource under an `aws:` key, or the grantee is the service's own
 * role or principal. The service makes such grants itself for the new key; they are not compared.
 */
export function isServiceGrant(grant: GrantInfo): boolean {
  const context = { ...grant.constraints?.encryptionContextSubset, ...grant.constraints?.encryptionContextEquals }
  if (Object.keys(context).some((k) => k.startsWith('aws:'))) return true
  const grantee = grant.granteePrincipal ?? ''
  return grantee.includes(':assumed-role/aws:') || grantee.endsWith('.amazonaws.com')
}

/** Does `grant` (on the new key) allow at least what `wanted` (on the current key) allows? */
export function grantCovers(grant: GrantInfo, wanted: GrantInfo): boolean {
  if (grant.granteePrincipal !== wanted.granteePrincipal) return false
  if (!wanted.operations.every((op) => grant.operations.includes(op))) return false
  const subset = grant.constraints?.encryptionContextSubset
  const equals = grant.constraints?.encryptionContextEquals
  const wantedSubset = wanted.constraints?.encryptionContextSubset
  const wantedEquals = wanted.constraints?.encryptionContextEquals
  // What the wanted grant admits always contains these pairs; the new grant may demand no others.
  const contextAlwaysHas = wantedEquals ?? wantedSubset ?? {}
  if (equals) return wantedEquals !== undefined && sameContext(equals, wantedEquals)
  if (subset) return Object.entries(subset).every(([k, v]) => contextAlwaysHas[k] === v)
  return true
}

const sameContext = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v)

function describeGrant(g: GrantInfo): string {
  const constraints = g.constraints?.encryptionContextEquals
    ? ` if the context equals ${JSON.stringify(g.constraints.encryptionContextEquals)}`
    : g.constraints?.encryptionContextSubset
      ? ` if the context includes ${JSON.stringify(g.constraints.encryptionContextSubset)}`
      : ''
  return `${g.granteePrincipal ?? '(no grantee)'}: ${g.operations.join(', ')}${constraints}${g.name ? ` (grant ${g.name})` : ''}`
}

export function grantFindings(current: readonly GrantInfo[], target: readonly GrantInfo[], allowAccessChange: boolean): Finding[] {
  const missing = current.filter((g) => !isServiceGrant(g) && !target.some((t) => grantCovers(t, g)))
  if (missing.length === 0) return []
  return [
    {
      code: 'GRANTS_MISSING',
      severity: allowAccessChange ? 'warn' : 'block',
      message: `grants stay with their key, and no grant on the new key covers: ${missing.map(describeGrant).join('; ')}${allowAccessChange ? '' : ' (create them on the new key, or pass --allow-access-change)'}`,
    },
  ]
}

export function tagFindings(current: Readonly<Record<string, string>>, target: Readonly<Record<string, string>>): Finding[] {
  const differ = Object.keys(current)
    .sort()
    // kms-alias's own bookkeeping (kms-alias:rotated-from) says where a key came from, not who may use it.
    .filter((k) => !k.startsWith('kms-alias:') && target[k] !== current[k])
    .map((k) => (k in target ? `${k}=${current[k]} (new key: ${target[k]})` : `${k}=${current[k]} (new key: missing)`))
  if (differ.length === 0) return []
  return [
    {
      code: 'TAGS_DIFFER',
      severity: 'warn',
      message: `tags of the current key that the new key lacks or sets otherwise (IAM policies may grant by aws:ResourceTag): ${differ.join(', ')}`,
    },
  ]
}

const OLD_ARTIFACT_CALLS: Record<string, string> = {
  SIGN_VERIFY: 'Verify through the alias fails for signatures',
  GENERATE_VERIFY_MAC: 'VerifyMac through the alias fails for MACs',
  ENCRYPT_DECRYPT: 'Decrypt through the alias fails for ciphertexts',
  KEY_AGREEMENT: 'DeriveSharedSecret through the alias derives other secrets than those',
  ENCAPSULATE_DECAPSULATE: 'Decapsulate through the alias fails for ciphertexts',
}

/** Asymmetric and HMAC keys: old artifacts can only be checked or opened with the old key's ID. */
export function oldArtifactFindings(current: KeyInfo): Finding[] {
  const keyClass = keyClassOf(current.keySpec)
  if (keyClass !== 'asymmetric' && keyClass !== 'hmac') return []
  const usage = current.keyUsage ?? (keyClass === 'hmac' ? 'GENERATE_VERIFY_MAC' : undefined)
  const call = (usage && OLD_ARTIFACT_CALLS[usage]) ?? 'calls through the alias fail for artifacts'
  return [
    { code: 'OLD_ARTIFACTS_NEED_OLD_KEY', severity: 'warn', message: `${call} made under ${current.keyId}: callers must keep using that key ID for them` },
  ]
}

interface IdentityStatement {
  resources: string[]
  actions: string[]
}

/** The Allow statements (resources, KMS actions) and alias conditions of an identity policy; undefined when unparseable. */
function identityStatements(document: string): { allows: IdentityStatement[]; aliasConditions: AliasCondition[] } | undefined {
  let doc: { Statement?: unknown }
  try {
    doc = JSON.parse(document) as { Statement?: unknown }
  } catch {
    return undefined
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []
  const allows: IdentityStatement[] = []
  const aliasConditions: AliasCondition[] = []
  for (const raw of statements as Array<Record<string, unknown>>) {
    // Identity policies have no Principal; a stand-in lets the key-policy normalizer read the rest.
    const normalized = normalizePolicy(JSON.stringify({ Statement: [{ ...raw, Principal: '*', NotResource: undefined }] })).statements[0]
    if (!normalized) continue
    aliasConditions.push(...normalized.aliasConditions)
    if (normalized.effect !== 'Allow') continue
    const list = raw.Resource === undefined ? [] : Array.isArray(raw.Resource) ? raw.Resource : [raw.Resource]
    allows.push({ resources: list.filter((r): r is string => typeof r === 'string'), actions: normalized.actions })
  }
  return { allows, aliasConditions }
}

/** Does some Allow statement whose Resource matches `arn` allow every one of `actions`? Conditions are not evaluated. */
function covers(allows: readonly IdentityStatement[], arn: string, actions: readonly string[]): boolean {
  const onArn = allows.filter((s) => s.resources.some((r) => wildcardPattern(r, '').test(arn)))
  return actions.every((a) => onArn.some((s) => s.actions.includes(a)))
}

/** KEY_ARN_PINNED and ALIAS_IN_POLICY from the IAM identity policies (--iam). */
export function iamFindings(policies: readonly IdentityPolicy[], current: KeyInfo, target: KeyInfo, aliasName: string | undefined): Finding[] {
  const pinned: string[] = []
  const byAlias: string[] = []
  for (const policy of policies) {
    const parsed = identityStatements(policy.document)
    if (!parsed) continue
    // A statement that names the current key's ARN, for actions no statement allows on the new key.
    if (parsed.allows.some((s) => s.resources.includes(current.arn) && !covers(parsed.allows, target.arn, s.actions))) pinned.push(policy.source)
    if (
      aliasName !== undefined &&
      parsed.aliasConditions.some((c) => c.values.some((v) => (c.operator.includes('Like') ? wildcardPattern(v, '').test(aliasName) : v === aliasName)))
    ) {
      byAlias.push(policy.source)
    }
  }
  const findings: Finding[] = []
  if (pinned.length > 0) {
    findings.push({
      code: 'KEY_ARN_PINNED',
      severity: 'warn',
      message: `IAM policies name the current key's ARN and not the new key's, so callers under them will not follow the alias: ${pinned.join('; ')}`,
    })
  }
  if (byAlias.length > 0) {
    findings.push({
      code: 'ALIAS_IN_POLICY',
      severity: 'warn',
      message: `IAM policies grant or deny by kms:RequestAlias or kms:ResourceAliases matching ${aliasName}: ${byAlias.join('; ')}; moving the alias moves that access (allow up to 5 minutes)`,
    })
  }
  return findings
}
