// Key policies as comparable data: who (principal) may do what (action) under which conditions.
// Nothing here evaluates a policy; it normalizes the forms that mean the same thing so that two
// key policies can be compared statement by statement. Sources: IAM JSON policy reference
// (Principal, Action, Condition elements) and the KMS developer guide (key-policy-default.html:
// the account principal delegates to IAM; conditions-kms.html).

/**
 * Every IAM action of KMS, for expanding wildcards such as `kms:*` or `kms:GenerateDataKey*`: the
 * operations of @aws-sdk/client-kms 3.1164.0, where the ReEncrypt operation is authorized by
 * kms:ReEncryptFrom and kms:ReEncryptTo (Service Authorization Reference, list_kms).
 */
export const KMS_ACTIONS: readonly string[] = [
  'CancelKeyDeletion',
  'ConnectCustomKeyStore',
  'CreateAlias',
  'CreateCustomKeyStore',
  'CreateGrant',
  'CreateKey',
  'Decapsulate',
  'Decrypt',
  'DeleteAlias',
  'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial',
  'DeriveSharedSecret',
  'DescribeCustomKeyStores',
  'DescribeKey',
  'DisableKey',
  'DisableKeyRotation',
  'DisconnectCustomKeyStore',
  'EnableKey',
  'EnableKeyRotation',
  'Encapsulate',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'GetKeyLastUsage',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'GetParametersForImport',
  'GetPublicKey',
  'ImportKeyMaterial',
  'ListAliases',
  'ListGrants',
  'ListKeyPolicies',
  'ListKeyRotations',
  'ListKeys',
  'ListResourceTags',
  'ListRetirableGrants',
  'PutKeyPolicy',
  'ReEncryptFrom',
  'ReEncryptTo',
  'ReplicateKey',
  'RetireGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
  'ScheduleKeyDeletion',
  'Sign',
  'TagResource',
  'UntagResource',
  'UpdateAlias',
  'UpdateCustomKeyStore',
  'UpdateKeyDescription',
  'UpdatePrimaryRegion',
  'Verify',
  'VerifyMac',
].map((a) => `kms:${a}`)

const ALL_KMS = new Set(KMS_ACTIONS)

/** The condition keys that grant or deny by alias (kms:ResourceAliases works in IAM policies only). */
export const ALIAS_CONDITION_KEYS: readonly string[] = ['kms:RequestAlias', 'kms:ResourceAliases']

/** One statement, normalized: principals and actions as sets of canonical strings. */
export interface NormalizedStatement {
  /** `statement "Sid"` or `statement 2`, for messages. */
  label: string
  effect: 'Allow' | 'Deny'
  /** `*`, an AWS ARN (an account ID becomes `arn:<partition>:iam::<account>:root`), a service name, … */
  principals: string[]
  /** KMS actions, wildcards expanded, in KMS_ACTIONS' spelling; actions of other services are dropped. */
  actions: string[]
  /** The Condition block as canonical JSON ('' when there is none): equal text means equal conditions. */
  condition: string
  /** Alias condition keys the statement uses, with their values. */
  aliasConditions: AliasCondition[]
}

export interface AliasCondition {
  operator: string
  key: string
  values: string[]
}

export interface NormalizedPolicy {
  statements: NormalizedStatement[]
  /** Statements that cannot be compared (NotAction, NotPrincipal, …), with the reason. */
  uncomparable: string[]
}

type Json = unknown

const asList = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

/** Parses a key policy document. Throws on text that is not a JSON object with statements. */
export function normalizePolicy(text: string, partition = 'aws'): NormalizedPolicy {
  const doc = JSON.parse(text) as { Statement?: Json }
  if (typeof doc !== 'object' || doc === null) throw new Error('the policy is not a JSON object')
  const statements: NormalizedStatement[] = []
  const uncomparable: string[] = []
  asList(doc.Statement).forEach((raw, index) => {
    const s = (raw ?? {}) as Record<string, Json>
    const label = typeof s.Sid === 'string' && s.Sid !== '' ? `statement "${s.Sid}"` : `statement ${index + 1}`
    const unsupported = ['NotAction', 'NotPrincipal', 'NotResource'].filter((k) => k in s)
    if (unsupported.length > 0) {
      uncomparable.push(`${label} uses ${unsupported.join(' and ')}`)
      return
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      uncomparable.push(`${label} has no Effect of Allow or Deny`)
      return
    }
    if (s.Principal === undefined) {
      uncomparable.push(`${label} has no Principal`)
      return
    }
    statements.push({
      label,
      effect: s.Effect,
      principals: normalizePrincipals(s.Principal, partition),
      actions: expandActions(asList(s.Action).filter((a): a is string => typeof a === 'string')),
      condition: normalizeCondition(s.Condition),
      aliasConditions: aliasConditionsOf(s.Condition),
    })
  })
  return { statements, uncomparable }
}

/** `"*"`, `{"AWS": "*"}`, an account ID or its root ARN, string or list: one canonical form each. */
export function normalizePrincipals(principal: Json, partition = 'aws'): string[] {
  if (principal === '*') return ['*']
  const out = new Set<string>()
  for (const [type, value] of Object.entries((principal ?? {}) as Record<string, Json>)) {
    for (const item of asList(value)) {
      if (typeof item !== 'string') continue
      if (type === 'AWS') out.add(item === '*' ? '*' : /^\d{12}$/.test(item) ? `arn:${partition}:iam::${item}:root` : item)
      else if (type === 'CanonicalUser') out.add(`canonical-user:${item}`)
      else out.add(item) // Service and Federated names cannot be mistaken for ARNs of the AWS type
    }
  }
  return [...out].sort()
}

/** Expands `*`, `kms:*`, `kms:Describe*`, `kms:Get?eyPolicy` over KMS_ACTIONS, case-insensitively. */
export function expandActions(actions: readonly string[]): string[] {
  const out = new Set<string>()
  for (const action of actions) {
    if (!action.includes('*') && !action.includes('?')) {
      const known = KMS_ACTIONS.find((a) => a.toLowerCase() === action.toLowerCase())
      if (known) out.add(known)
      else if (action.toLowerCase().startsWith('kms:')) out.add(action) // newer than this list: compared as written
      continue
    }
    const pattern = wildcardPattern(action)
    for (const a of KMS_ACTIONS) if (pattern.test(a)) out.add(a)
  }
  return KMS_ACTIONS.filter((a) => out.has(a)).concat([...out].filter((a) => !ALL_KMS.has(a)).sort())
}

/** IAM's `*` and `?` wildcards as a whole-string, case-insensitive pattern. */
export function wildcardPattern(glob: string, flags = 'i'): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`, flags)
}

/**
 * Canonical JSON of a Condition block: operators sorted, condition keys lower-cased (IAM treats
 * them case-insensitively), each value a sorted list of strings (a string equals a one-element list).
 */
export function normalizeCondition(condition: Json): string {
  if (condition === undefined || condition === null || typeof condition !== 'object') return ''
  const operators = Object.entries(condition as Record<string, Json>)
    .map(([op, block]) => {
      const keys = Object.entries((block ?? {}) as Record<string, Json>)
        .map(([key, values]) => [key.toLowerCase(), asList(values).map(String).sort()] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return [op, Object.fromEntries(keys)] as const
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return operators.length === 0 ? '' : JSON.stringify(Object.fromEntries(operators))
}

function aliasConditionsOf(condition: Json): AliasCondition[] {
  const found: AliasCondition[] = []
  for (const [operator, block] of Object.entries((condition ?? {}) as Record<string, Json>)) {
    for (const [key, values] of Object.entries((block ?? {}) as Record<string, Json>)) {
      const known = ALIAS_CONDITION_KEYS.find((k) => k.toLowerCase() === key.toLowerCase())
      if (known) found.push({ operator, key: known, values: asList(values).map(String) })
    }
  }
  return found
}

/** One (principal, action) the current policy allows that the new one does not, or denies. */
export interface MissingAccess {
  principal: string
  action: string
  denied: boolean
}

/** One (principal, action) both policies allow, under different conditions. */
export interface ChangedConditions {
  principal: string
  action: string
  current: string[]
  next: string[]
}

export interface PolicyComparison {
  missing: MissingAccess[]
  changedConditions: ChangedConditions[]
}

/** Does a statement's principal list name `principal`? `*` names everyone. */
function names(statement: NormalizedStatement, principal: string): boolean {
  return statement.principals.includes('*') || statement.principals.includes(principal)
}

/** A Deny on an account's root principal applies to every principal of that account. */
function denies(statement: NormalizedStatement, principal: string): boolean {
  if (names(statement, principal)) return true
  const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1]
  return account !== undefined && statement.principals.some((p) => p.endsWith(`:iam::${account}:root`))
}

interface Access {
  allow: Set<string>
  /** Conditions of the Deny statements that apply; '' is an unconditional Deny. */
  deny: Set<string>
}

function accessOf(policy: NormalizedPolicy, principal: string, action: string): Access {
  const access: Access = { allow: new Set(), deny: new Set() }
  for (const s of policy.statements) {
    if (!s.actions.includes(action)) continue
    if (s.effect === 'Allow' && names(s, principal)) access.allow.add(s.condition)
    if (s.effect === 'Deny' && denies(s, principal)) access.deny.add(s.condition)
  }
  return access
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((v) => b.has(v))
// An unconditional Allow makes any conditional ones beside it irrelevant.
const sameAllow = (a: Set<string>, b: Set<string>) => (a.has('') && b.has('')) || sameSet(a, b)
const describeConditions = (access: Access) => [
  ...[...access.allow].sort().map((c) => (c === '' ? 'Allow without conditions' : `Allow if ${c}`)),
  ...[...access.deny].sort().map((c) => `Deny if ${c}`),
]

/**
 * What the current key's Allow statements grant that the new key's policy does not (or denies),
 * and what both grant under different conditions. Principals are compared as normalized: an
 * account root on one side does not cover a role of that account on the other (the root only
 * delegates to IAM).
 */
export function comparePolicies(current: NormalizedPolicy, next: NormalizedPolicy): PolicyComparison {
  const pairs = new Map<string, { principal: string; action: string }>()
  for (const s of current.statements) {
    if (s.effect !== 'Allow') continue
    for (const principal of s.principals) for (const action of s.actions) pairs.set(`${principal}\u0000${action}`, { principal, action })
  }
  const missing: MissingAccess[] = []
  const changedConditions: ChangedConditions[] = []
  for (const { principal, action } of pairs.values()) {
    const before = accessOf(current, principal, action)
    if (before.deny.has('')) continue // never allowed on the current key
    const after = accessOf(next, principal, action)
    const denied = after.deny.has('')
    if (after.allow.size === 0 || denied) {
      missing.push({ principal, action, denied })
    } else if (!sameAllow(before.allow, after.allow) || !sameSet(before.deny, after.deny)) {
      changedConditions.push({ principal, action, current: describeConditions(before), next: describeConditions(after) })
    }
  }
  const order = (a: { principal: string; action: string }, b: { principal: string; action: string }) =>
    a.principal === b.principal ? KMS_ACTIONS.indexOf(a.action) - KMS_ACTIONS.indexOf(b.action) : a.principal < b.principal ? -1 : 1
  return { missing: missing.sort(order), changedConditions: changedConditions.sort(order) }
}

/** Actions as a short list: every KMS action is `kms:*`. */
export function summarizeActions(actions: readonly string[]): string {
  const set = new Set(actions)
  if (KMS_ACTIONS.every((a) => set.has(a))) return `kms:* (all ${KMS_ACTIONS.length} actions)`
  return actions.join(', ')
}

/** Each principal with the actions it is allowed (unconditionally or not), for compare's view. */
export function principalsOf(policy: NormalizedPolicy): Array<{ principal: string; actions: string[]; conditional: boolean }> {
  const byPrincipal = new Map<string, { actions: Set<string>; conditional: boolean }>()
  for (const s of policy.statements) {
    if (s.effect !== 'Allow') continue
    for (const p of s.principals) {
      const entry = byPrincipal.get(p) ?? { actions: new Set<string>(), conditional: false }
      for (const a of s.actions) entry.actions.add(a)
      if (s.condition !== '') entry.conditional = true
      byPrincipal.set(p, entry)
    }
  }
  return [...byPrincipal.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([principal, e]) => ({
      principal,
      actions: KMS_ACTIONS.filter((a) => e.actions.has(a)).concat([...e.actions].filter((a) => !ALL_KMS.has(a))),
      conditional: e.conditional,
    }))
}

// Issue 21 (--callers): one principal's standing for one action under a key policy.
/**
 * `denied`: an unconditional Deny applies; `allowed`: an Allow names the principal (or `*`), with
 * or without conditions; `delegated`: only the principal's account root is allowed, so its IAM
 * policies decide; `none`: nothing allows it.
 */
export function policyDecision(policy: NormalizedPolicy, principal: string, action: string): 'denied' | 'allowed' | 'delegated' | 'none' {
  const access = accessOf(policy, principal, action)
  if (access.deny.has('')) return 'denied'
  if (access.allow.size > 0) return 'allowed'
  const account = /^arn:([^:]+):(?:iam|sts)::(\d{12}):/.exec(principal)
  if (account && accessOf(policy, `arn:${account[1]}:iam::${account[2]}:root`, action).allow.size > 0) return 'delegated'
  return 'none'
}
