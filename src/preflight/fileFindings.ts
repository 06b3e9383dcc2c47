// What only a whole apply file tells, beside each entry's own findings: a key the run leaves
// without an alias, an entry whose target the same file repoints, the aliases-per-key quota counted
// over the file. Pure: it takes the plan's reads and adds findings to the entries' changes.
import type { KeyRef } from '../kms/identifiers.js'
import type { DescribedKey } from '../kms/lookups.js'
import { runQuotaFindings, type Finding } from './rules.js'

/** One planned entry of the file, as these rules read it. */
export interface FileItem {
  change: { alias: string; line: number; action: string; targetKeyId: string | null; findings: Finding[] }
  entry: { target: KeyRef }
  current?: DescribedKey
  target?: DescribedKey
}

/**
 * What only the whole file tells. A key is orphaned once the run moves every alias off it (one
 * warning per key, not one per entry; a key another entry points to keeps an alias). An entry whose
 * target is an alias the same file repoints is ambiguous: old key or new?
 */
export function fileFindings(planned: FileItem[]): void {
  const repointed = new Map(planned.filter((p) => p.change.action === 'update' || p.change.action === 'create').map((p) => [p.change.alias, p.change.line]))
  for (const p of planned) {
    p.change.findings = p.change.findings.filter((f) => f.code !== 'PREVIOUS_KEY_ORPHANED')
    const target = p.entry.target.kind === 'alias' ? p.entry.target.alias.name : undefined
    const line = target === undefined ? undefined : repointed.get(target)
    if (target !== undefined && line !== undefined && target !== p.change.alias) {
      p.change.findings.push({
        code: 'TARGET_REPOINTED_IN_FILE',
        severity: 'block',
        message: `line ${p.change.line} points to ${target}, which line ${line} of the same file repoints: name the key ID instead (old or new key?)`,
      })
    }
  }
  runQuota(planned)
  const movedOff = new Map<string, FileItem[]>()
  for (const p of planned) {
    if (p.change.action !== 'update' || !p.current) continue
    movedOff.set(p.current.key.keyId, [...(movedOff.get(p.current.key.keyId) ?? []), p])
  }
  const pointedTo = new Set(planned.map((p) => p.change.targetKeyId))
  for (const [keyId, leaving] of movedOff) {
    const moving = new Set(leaving.map((p) => p.change.alias))
    const staying = leaving[0]!.current!.aliases.filter((a) => !moving.has(a.name))
    if (staying.length > 0 || pointedTo.has(keyId)) continue
    const last = leaving.at(-1)!
    const lines = leaving.map((p) => p.change.line).join(', ')
    last.change.findings.push({
      code: 'PREVIOUS_KEY_ORPHANED',
      severity: 'warn',
      message: `after this run no alias points to ${keyId} (line${leaving.length === 1 ? '' : 's'} ${lines} move${leaving.length === 1 ? 's' : ''} its last alias${leaving.length === 1 ? '' : 'es'} away); keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)`,
    })
  }
}

/**
 * The aliases-per-key quota counted over the file: every entry onto a key counts, not only the
 * aliases the key had at plan time. The finding goes on the last entry onto the key, replacing the
 * per-entry ALIAS_QUOTA_NEAR (which saw only the key's aliases before the run).
 */
function runQuota(planned: FileItem[]): void {
  const byKey = new Map<string, { keyId: string; now: number; arriving: FileItem[]; leaving: number }>()
  const slot = (key: DescribedKey) => {
    let s = byKey.get(key.key.arn)
    if (!s) byKey.set(key.key.arn, (s = { keyId: key.key.keyId, now: key.aliases.length, arriving: [], leaving: 0 }))
    return s
  }
  for (const p of planned) {
    if (!p.target || (p.change.action !== 'create' && p.change.action !== 'update')) continue
    slot(p.target).arriving.push(p)
    if (p.current) slot(p.current).leaving += 1
  }
  for (const { keyId, now, arriving, leaving } of byKey.values()) {
    for (const p of arriving) p.change.findings = p.change.findings.filter((f) => f.code !== 'ALIAS_QUOTA_NEAR')
    arriving.at(-1)?.change.findings.push(...runQuotaFindings(keyId, now, arriving.length, leaving))
  }
}
