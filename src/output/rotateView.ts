// rotate's view: update's report plus the key it plans, made, or left unused. The text line is
// update's (the created key in the target column); JSON adds createdKeyId, newKey and unusedKey;
// the human plan adds the rows that say what the new key is made with.
import type { ChalkInstance } from 'chalk'
import { renderProbeLine } from './probeView.js'
import { ROTATED_FROM_TAG, type RotationPlan } from '../preflight/rotate.js'
import type { FindingCode } from '../preflight/rules.js'
import {
  describeAliasState,
  renderChangeText,
  renderFindings,
  ROWS,
  verdict,
  worst,
  type AliasChangeReport,
  type ChangeView,
} from './changeView.js'
import type { KeyView } from './keyView.js'
import { newTable } from './table.js'

/** What the new key is (or was) made with; field names are part of the JSON contract. */
export interface NewKeyView {
  keySpec: string
  keyUsage: string
  origin: 'AWS_KMS'
  multiRegion: boolean
  description: string
  /** `copied` from the old key, or KMS's `default` policy (--no-copy-policy). */
  policy: 'copied' | 'default'
  tags: Record<string, string>
  /** Tags of the old key that were not copied (aws: tags, which CreateKey refuses). */
  tagsNotCopied: string[]
  /** Automatic rotation of the new key; null where KMS has none (asymmetric, HMAC). */
  automaticRotation: boolean | null
  /** Grants on the old key, which never follow to a new key; null when they could not be read. */
  grantsOnOldKey: number | null
}

/** The old key's side of the plan rows (not in JSON: `previous` and the reads are there). */
export interface OldKeyAccessView {
  tags: number | null
  automaticRotation: boolean | null
  grants: number | null
}

/** A key rotate made but could not point the alias to: disabled (if it could be), never deleted. */
export interface UnusedKeyView {
  keyId: string
  disabled: boolean
  /** The command that schedules its deletion (kms-alias deletes no key). */
  scheduleDeletion: string
  /** Why it could not be disabled, if it could not. */
  error: string | null
}

export interface RotationReport {
  createdKeyId: string | null
  newKey: NewKeyView | null
  unusedKey: UnusedKeyView | null
  /** For the human plan: the new key before it exists, and the old key's policy, tags, rotation, grants. */
  planned: KeyView | null
  oldAccess: OldKeyAccessView | null
}

export const emptyRotation = (): RotationReport => ({ createdKeyId: null, newKey: null, unusedKey: null, planned: null, oldAccess: null })

export function renderRotateJson(report: AliasChangeReport): string {
  const { action, alias, region, outcome, dryRun, changed, verified, previous, target, findings, undo, journalId, probe, error, exitCode } = report
  const { createdKeyId = null, newKey = null, unusedKey = null } = report.rotation ?? {}
  const doc = {
    ...{ action, alias, region, outcome, dryRun, changed, verified, previous, target },
    ...{ createdKeyId, newKey, unusedKey, findings, undo, journalId, probe, error, exitCode },
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

// rotate's own findings shown on the rows they are about.
const MORE_CODES: Readonly<Record<string, readonly FindingCode[]>> = {
  'key manager': ['ROTATE_UNSUPPORTED'],
  origin: ['ROTATE_UNSUPPORTED'],
  'multi-Region': ['REPLICAS_NOT_CREATED'],
}

const onOff = (value: boolean | null | undefined) => (value === null || value === undefined ? '-' : value ? 'on' : 'off')
const count = (n: number | null | undefined, what: string) => (n === null || n === undefined ? '(not read)' : `${n} ${what}${n === 1 ? '' : 's'}`)

/** The human plan: the old key beside the new one, then what the new key is made with, then the findings. */
export function renderRotatePlan(report: AliasChangeReport, style: ChalkInstance): string {
  const rotation = report.rotation
  const lines: string[] = []
  const where = report.region ? ` in ${report.region}` : ''
  lines.push(style.bold(`${report.dryRun ? 'Dry run: ' : ''}rotate ${report.alias}${where}`))
  const next = report.target ?? rotation?.planned ?? null
  if (report.previous) {
    const table = newTable(style, ['field', 'current key', ...(next ? ['new key'] : []), 'verdict'])
    for (const row of ROWS) {
      const codes = [...row.codes, ...(MORE_CODES[row.label] ?? [])]
      const findings = report.findings.filter((f) => codes.includes(f.code))
      table.push([row.label, row.value(report.previous), ...(next ? [row.value(next)] : []), verdict(style, worst(findings))])
    }
    const newKey = rotation?.newKey
    const old = rotation?.oldAccess
    if (newKey && old) {
      const tagNote = `${count(Object.keys(newKey.tags).length - 1, 'tag')} + ${ROTATED_FROM_TAG}`
      const rows: Array<[string, string, string, readonly FindingCode[]]> = [
        ['key policy', 'its own', newKey.policy === 'copied' ? 'copied' : 'KMS default (--no-copy-policy)', []],
        ['tags', count(old.tags, 'tag'), newKey.tagsNotCopied.length > 0 ? `${tagNote} (not: ${newKey.tagsNotCopied.join(', ')})` : tagNote, []],
        ['automatic rotation', onOff(old.automaticRotation), onOff(newKey.automaticRotation), ['ROTATES_IN_PLACE']],
        ['grants', count(old.grants, 'grant'), 'none (grants are not copied)', []],
      ]
      for (const [label, before, after, codes] of rows) {
        table.push([label, before, after, verdict(style, worst(report.findings.filter((f) => codes.includes(f.code))))])
      }
    }
    lines.push(table.toString())
    if (newKey) lines.push(`New key description: ${newKey.description}`)
  }
  lines.push(...renderFindings(report.findings, style, report.action))
  return `${lines.join('\n')}\n`
}

/** The closing lines of a rotate that did what was asked. */
export function renderRotateSuccess(report: AliasChangeReport, style: ChalkInstance): string {
  const { alias } = report
  const from = report.previous?.keyId ?? '?'
  const to = report.target?.keyId ?? '?'
  const spec = report.rotation?.newKey?.keySpec ?? report.previous?.keySpec ?? '?'
  const ok = style.green('✓')
  const how = report.verified ? 'confirmed with ListAliases' : 'not verified (--no-verify)'
  if (report.outcome === 'would-rotate') {
    return `Would create a new ${spec} key and point ${alias} to it (now → ${from}). Nothing was created or changed (dry run).\n`
  }
  const probe = report.probe?.after ? renderProbeLine(report.probe, style) : null
  return [
    `${ok} Rotated ${alias}: ${from} → ${to}, a new ${spec} key (${how}).`,
    keepOldKey(from),
    `Undo: ${report.undo}`,
    ...(probe ? [probe] : []),
    '',
  ].join('\n')
}

/** Why the old key stays: rotate never touches it. */
export function keepOldKey(keyId: string): string {
  return `Keep ${keyId} enabled until nothing needs it (decrypting old data, verifying old signatures); kms-alias never disables or deletes it.`
}

/** Where the alias and the new key stand after a failed rotate, in words. */
export function describeRotateState(report: AliasChangeReport): string {
  const rotation = report.rotation
  const alias =
    report.changed === false && report.previous && report.outcome !== 'rolled-back' ? `${report.alias} was not changed; it still points to ${report.previous.keyId}.` : describeAliasState(report)
  if (report.changed === true) return `${alias} ${keepOldKey(report.previous?.keyId ?? '?')}`
  // A created key was already reported by a warning (unusedKeyNote).
  return rotation?.createdKeyId ? alias : `${alias} No key was created.`
}

/** What became of the created key when the alias did not (or may not) point to it; said once, as a warning. */
export function unusedKeyNote(report: AliasChangeReport): string {
  const created = report.rotation?.createdKeyId ?? '?'
  const unused = report.rotation?.unusedKey
  if (unused?.disabled) {
    return `The new key ${unused.keyId} was disabled and is not used; nothing is deleted automatically. To delete it: ${unused.scheduleDeletion}`
  }
  if (unused) {
    const why = unused.error ?? 'unknown error'
    return `The new key ${unused.keyId} could not be disabled (${why}); disable it, or schedule its deletion: ${unused.scheduleDeletion}`
  }
  return `The new key ${created} was left enabled: whether ${report.alias} points to it is unknown; check before disabling it.`
}

export const rotateView: ChangeView = {
  plan: renderRotatePlan,
  json: renderRotateJson,
  text: renderChangeText,
  success: renderRotateSuccess,
  state: describeRotateState,
}

/** What rotate will create, for the plan and the report. */
export function newKeyView(planned: RotationPlan, options: { copyPolicy: boolean }): NewKeyView {
  const { request } = planned
  return {
    keySpec: request.keySpec,
    keyUsage: request.keyUsage,
    origin: 'AWS_KMS',
    multiRegion: request.multiRegion === true,
    description: request.description ?? '',
    policy: options.copyPolicy ? 'copied' : 'default',
    tags: { ...request.tags },
    tagsNotCopied: planned.tagsNotCopied,
    automaticRotation: planned.plannedAccess.rotation ? planned.enableRotation : null,
    grantsOnOldKey: planned.oldAccess.grants.ok ? planned.oldAccess.grants.value.length : null,
  }
}
