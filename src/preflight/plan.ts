// The plan of one alias change, shared by the single commands and every apply entry (and so by
// undo and rollback): which findings a create or an update gets, from what the reads returned.
import type { AliasRef, KeyRef } from '../kms/identifiers.js'
import type { DescribedKey } from '../kms/lookups.js'
import { targetLocation } from './local.js'
import { quotaFindings, targetFindings, updatePreflight, type Finding, type Overrides } from './rules.js'

export interface CreatePlanInput {
  aliasRef: AliasRef
  targetRef: KeyRef
  target: DescribedKey
  region: string
  /** The account the alias must be in (undo knows it from the journal). */
  expectAccount?: string | undefined
  overrides: Pick<Overrides, 'allowDisabled'>
}

/** Findings for creating `aliasRef` on `target`. */
export function createFindings(input: CreatePlanInput): Finding[] {
  // Without an alias ARN the caller's account is unknown (that would take an STS call).
  const account = input.aliasRef.arn?.account ?? input.expectAccount
  const home = { region: input.region, ...(account ? { account } : {}) }
  return [...targetFindings(input.target.key, targetLocation(input.target.key, input.targetRef), home, input.overrides), ...quotaFindings(input.target.aliases)]
}

export interface UpdatePlanInput {
  aliasRef: AliasRef
  targetRef: KeyRef
  current: DescribedKey
  target: DescribedKey
  expectAccount?: string | undefined
  overrides: Overrides
}

/** Findings for pointing `aliasRef` from `current` to `target`. */
export function updateFindings(input: UpdatePlanInput): Finding[] {
  return updatePreflight({
    aliasName: input.aliasRef.name,
    expectedAccount: input.aliasRef.arn?.account ?? input.expectAccount,
    current: input.current.key,
    target: input.target.key,
    targetLocation: targetLocation(input.target.key, input.targetRef),
    aliasesOnCurrent: input.current.aliases,
    aliasesOnTarget: input.target.aliases,
    overrides: input.overrides,
  })
}
