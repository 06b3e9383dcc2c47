import type { ChalkInstance } from 'chalk'
import type { Finding } from '../preflight/rules.js'
import type { StillNeeded } from '../preflight/usage.js'
import { renderFinding } from './changeView.js'
import { Exit } from '../errors.js'
import type { RunView } from '../engine/run.js'
import type { ErrorSummary } from './ui.js'
import type { UsageReport } from './usageView.js'

/** A retire step, or `undo` of one (undo <id> of a key-state entry). */
export type RetireStep = 'disable' | 'check' | 'schedule-deletion' | 'undo'

export type RetireOutcome =
  | 'disabled'
  | 'would-disable'
  | 'already-disabled'
  | 'scheduled'
  | 'would-schedule'
  | 'already-pending-deletion'
  /** --check: nobody was refused since the key was disabled. */
  | 'clean'
  /** undo: the inverse call was made (or, dry run, would be). */
  | 'reverted'
  | 'would-revert'
  | 'refused'
  | 'declined'
  | 'conflict'
  | 'failed'

/** What `retire` prints; field names are part of the JSON contract. */
export interface RetireReport {
  step: RetireStep
  dryRun: boolean
  key: UsageReport['key']
  outcome: RetireOutcome
  /** Whether the key's state changed: null when it could not be told. */
  changed: boolean | null
  findings: Finding[]
  /** --disable: the evidence of use over --idle-for. */
  usage: { verdict: UsageReport['verdict']; reasons: string[] } | null
  /** --check, --schedule-deletion: when the key was disabled, and where that was read. */
  disabledAt: string | null
  disabledFrom: 'journal' | 'cloudtrail' | null
  /** How long the key has been disabled, in words ("12 days"). */
  soak: string | null
  /** Callers refused with DisabledException since the key was disabled. */
  refusedCallers: StillNeeded[] | null
  /** --schedule-deletion: when KMS will delete the key. */
  deletionDate: string | null
  journalId: string | null
  /** The command that reverts the change. */
  undo: string | null
  error: ErrorSummary | null
  exitCode: number
}

export const renderRetireJson = (r: RetireReport): string => `${JSON.stringify(r, null, 2)}\n`

/** Tab-separated, no header: step, key ID, outcome, changed, then a finding code a line. */
export function renderRetireText(r: RetireReport): string {
  const head = [r.step, r.key?.keyId ?? '-', r.outcome, String(r.changed), r.journalId ?? '-'].join('\t')
  return `${[head, ...r.findings.map((f) => `finding\t${f.code}\t${f.severity}\t${f.message}`)].join('\n')}\n`
}

const SUCCESS: Partial<Record<RetireOutcome, (r: RetireReport) => string>> = {
  disabled: (r) => `Disabled ${r.key?.keyId}. Watch for callers it breaks: kms-alias retire ${r.key?.keyId} --check`,
  'would-disable': (r) => `Would disable ${r.key?.keyId}. Nothing was changed (dry run).`,
  'already-disabled': (r) => `${r.key?.keyId} is already disabled; nothing to change.`,
  scheduled: (r) => `Scheduled ${r.key?.keyId} for deletion on ${r.deletionDate ?? '?'}. Until then the deletion can be cancelled (the key then stays disabled).`,
  'would-schedule': (r) => `Would schedule ${r.key?.keyId} for deletion. Nothing was changed (dry run).`,
  'already-pending-deletion': (r) => `${r.key?.keyId} is already pending deletion; nothing to change.`,
  reverted: (r) => `${r.key?.keyId} is back to ${r.step === 'undo' ? 'its state before the entry' : '?'}.`,
  'would-revert': (r) => `Would revert the entry on ${r.key?.keyId}. Nothing was changed (dry run).`,
  clean: (r) => `No caller was refused since ${r.key?.keyId} was disabled ${r.soak ? `${r.soak} ago` : ''} (${r.disabledAt ?? '?'}, from ${disabledSource(r)}).`,
}

export function renderRetireTable(r: RetireReport, style: ChalkInstance): string {
  const lines: string[] = []
  if (r.key) lines.push(`${style.bold(r.key.keyId)} (${r.key.region}, ${r.key.keyState ?? 'state unknown'})`)
  if (r.usage) {
    lines.push(`Use over --idle-for: ${r.usage.verdict ?? 'unknown'}`)
    for (const reason of r.usage.reasons) lines.push(`  - ${reason}`)
  }
  if (r.disabledAt) lines.push(`Disabled since ${r.disabledAt} (${r.soak ?? '?'}; from ${disabledSource(r)})`)
  if (r.refusedCallers && r.refusedCallers.length > 0) {
    lines.push('Refused since (DisabledException):')
    for (const c of r.refusedCallers) lines.push(`  ${c.principal}: ${c.count} × ${c.operations.join(', ')}, last ${c.lastSeen}`)
  }
  for (const f of r.findings) lines.push(renderFinding(f, style))
  const success = !r.error && SUCCESS[r.outcome]
  if (success) lines.push(`${style.green('✓')} ${success(r)}`)
  if (!r.error && r.undo) lines.push(`Undo: ${r.undo}`)
  return `${lines.join('\n')}\n`
}

/** A retire step's report before anything is known (retire, and undo of a key-state entry). */
export function newRetireReport(step: RetireStep, dryRun: boolean): RetireReport {
  return {
    step,
    dryRun,
    key: null,
    outcome: 'failed',
    changed: false,
    findings: [],
    usage: null,
    disabledAt: null,
    disabledFrom: null,
    soak: null,
    refusedCallers: null,
    deletionDate: null,
    journalId: null,
    undo: null,
    error: null,
    exitCode: Exit.Ok,
  }
}

/** How retire's report is shown in each format, for the one finisher. */
export const retireView: RunView<RetireReport> = { json: renderRetireJson, text: renderRetireText, table: (r, u) => renderRetireTable(r, u.out) }

// The JSON keeps the lowercase value; prose names the source as people write it.
const disabledSource = (r: RetireReport) => (r.disabledFrom === 'cloudtrail' ? 'CloudTrail' : r.disabledFrom === 'journal' ? 'the journal' : '?')
