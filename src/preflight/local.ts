// What the typed identifiers alone tell: refusals that need no KMS call (some calls would even
// have side effects: DescribeKey on alias/aws/<service> can create that AWS managed key), and
// where a typed ARN says the target is.
import { isReservedAlias, type AliasRef, type KeyRef } from '../kms/identifiers.js'
import type { KeyInfo } from '../kms/port.js'
import { reservedAliasFindings, type Finding, type TargetLocation } from './rules.js'

/** Everything the typed alias (and target, where there is one) alone refuses, before any KMS call. */
export function localRefusals(aliasRef: AliasRef, region: string, targetRef?: KeyRef): Finding[] {
  return [...reservedAliasFindings(aliasRef.name), ...aliasRegionRefusals(aliasRef, region), ...(targetRef ? targetRefRefusals(targetRef, region) : [])]
}

/** An alias ARN names its Region; it is never acted on in another. */
export function aliasRegionRefusals(aliasRef: AliasRef, region: string): Finding[] {
  if (!aliasRef.arn || aliasRef.arn.region === region) return []
  const message = `the alias ARN is in ${aliasRef.arn.region} but requests go to ${region}; pass --region ${aliasRef.arn.region} to act there`
  return [{ code: 'ALIAS_OTHER_REGION', severity: 'block', message }]
}

/** Refusals of a typed target that need no KMS call. */
export function targetRefRefusals(targetRef: KeyRef, region: string): Finding[] {
  const findings: Finding[] = []
  const targetArn = targetRef.kind === 'key' ? targetRef.arn : targetRef.alias.arn
  if (targetArn && targetArn.region !== region) {
    const message = `the new key ARN is in ${targetArn.region} but the alias is in ${region}; an alias can only point to a key in its own Region`
    findings.push({ code: 'TARGET_OTHER_REGION', severity: 'block', message })
  }
  if (targetRef.kind === 'alias' && isReservedAlias(targetRef.alias.name)) {
    const message = `${targetRef.alias.name} names an AWS managed key; aliases can only point to customer managed keys`
    findings.push({ code: 'TARGET_AWS_MANAGED', severity: 'block', message })
  }
  return findings
}

/** Where the target is: its described ARN, and the ARN the user typed if any. */
export function targetLocation(target: KeyInfo, targetRef: KeyRef): TargetLocation {
  return {
    region: target.region,
    account: target.accountId,
    ...(targetRef.kind === 'key' && targetRef.arn ? { typedRegion: targetRef.arn.region, typedAccount: targetRef.arn.account } : {}),
  }
}
