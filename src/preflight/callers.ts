// `--callers` (issue 21): the principals CloudTrail shows using the alias's current key in the
// window, checked against the new key's policy and grants with the access evaluator of policy.ts.
import type { TrailEvent } from '../cloudtrail/port.js'
import type { GrantInfo } from '../kms/port.js'
import { CRYPTO_OPERATIONS } from '../kms/usageFacts.js'
import type { Read } from './access.js'
import { normalizePolicy, policyDecision, type NormalizedPolicy } from './policy.js'
import type { Finding } from './rules.js'

export interface KeyRules {
  policy: Read<string>
  grants: Read<GrantInfo[]>
}

export interface CallerCheckInput {
  /** CloudTrail's events for the current key over the window; null when it could not be read (`trailError`). */
  events: Read<{ events: readonly TrailEvent[]; truncated: boolean }>
  current: KeyRules
  target: KeyRules
  targetKeyId: string
  partition: string
  windowDays: number
  allowAccessChange: boolean
}

/** The IAM actions (and grant operations) a call needs: ReEncrypt needs either half on its key. */
const actionsOf = (operation: string): string[] => (operation === 'ReEncrypt' ? ['ReEncryptFrom', 'ReEncryptTo'] : [operation])

/** The principal a key policy or a grant names for a caller: an assumed-role session is its role. */
export function policyPrincipal(arn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn)
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn
}

type Standing = 'denied' | 'allowed' | 'delegated' | 'none'

function standing(policy: NormalizedPolicy | undefined, grants: readonly GrantInfo[], principal: string, operation: string): Standing | undefined {
  if (policy === undefined) return undefined
  const byPolicy = actionsOf(operation).map((op) => policyDecision(policy, principal, `kms:${op}`))
  if (byPolicy.includes('denied') && !byPolicy.includes('allowed')) return 'denied'
  if (byPolicy.includes('allowed')) return 'allowed'
  if (grants.some((g) => g.granteePrincipal === principal && actionsOf(operation).some((op) => g.operations.includes(op)))) return 'allowed'
  return byPolicy.includes('delegated') ? 'delegated' : 'none'
}

function parse(read: Read<string>, partition: string): NormalizedPolicy | undefined {
  if (!read.ok) return undefined
  try {
    return normalizePolicy(read.value, partition)
  } catch {
    return undefined
  }
}

/**
 * RECENT_CALLER_NOT_ALLOWED for each principal that made a cryptographic call on the current key in
 * the window and that the new key would not allow the same operation: nothing allows it, a Deny
 * does, or only IAM could where the current key's policy or a grant allowed it by name.
 * CALLERS_UNCHECKED when CloudTrail or the new key's policy could not be read, or --max-events cut the window.
 */
export function callerFindings(input: CallerCheckInput): Finding[] {
  const findings: Finding[] = []
  const unchecked = (why: string) => findings.push({ code: 'CALLERS_UNCHECKED', severity: 'warn', message: `recent callers were not all checked: ${why}` })
  if (!input.events.ok) {
    unchecked(`CloudTrail could not be read (${input.events.error})`)
    return findings
  }
  if (input.events.value.truncated) unchecked(`--max-events was reached; only the newest ${input.events.value.events.length} events of the ${input.windowDays}-day window were read`)
  const targetPolicy = parse(input.target.policy, input.partition)
  if (targetPolicy === undefined) {
    unchecked(`the new key's policy could not be read or parsed${input.target.policy.ok ? '' : ` (${input.target.policy.error})`}`)
    return findings
  }
  const currentPolicy = parse(input.current.policy, input.partition)
  const targetGrants = input.target.grants.ok ? input.target.grants.value : []
  const currentGrants = input.current.grants.ok ? input.current.grants.value : []
  if (!input.target.grants.ok) unchecked(`the new key's grants could not be read (${input.target.grants.error})`)

  const uses = new Map<string, Map<string, string>>()
  for (const e of input.events.value.events) {
    if (e.errorCode || !CRYPTO_OPERATIONS.has(e.eventName)) continue
    const principal = policyPrincipal(e.principal)
    const ops = uses.get(principal) ?? new Map<string, string>()
    const at = e.eventTime.toISOString()
    if ((ops.get(e.eventName) ?? '') < at) ops.set(e.eventName, at)
    uses.set(principal, ops)
  }
  for (const [principal, ops] of [...uses].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const refused: string[] = []
    for (const [operation, last] of [...ops].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const next = standing(targetPolicy, targetGrants, principal, operation)
      const before = standing(currentPolicy, currentGrants, principal, operation)
      const lost = next === 'none' || next === 'denied' || (next === 'delegated' && before === 'allowed')
      if (!lost) continue
      const why = next === 'denied' ? 'a Deny' : next === 'delegated' ? 'only IAM could (the current key allows it by name or grant)' : 'nothing'
      refused.push(`${operation} (last ${last}; on the new key: ${why})`)
    }
    if (refused.length === 0) continue
    findings.push({
      code: 'RECENT_CALLER_NOT_ALLOWED',
      severity: input.allowAccessChange ? 'warn' : 'block',
      message: `${principal} used the current key in the last ${input.windowDays} days, but the key policy and grants of ${input.targetKeyId} would not allow: ${refused.join(', ')}${input.allowAccessChange ? '' : ' (pass --allow-access-change once it has access)'}`,
    })
  }
  return findings
}
