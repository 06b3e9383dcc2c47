import type { Context } from '../cli/context.js'
import { CliError, Exit, UsageError } from '../errors.js'
import { newJournalId } from '../engine/journal.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef } from '../kms/identifiers.js'
import { describeThen } from '../kms/lookups.js'
import type { KeyInfo } from '../kms/port.js'
import { toKeyView } from '../output/keyView.js'
import { emptyRotation, newKeyView, rotateView, unusedKeyNote } from '../output/rotateView.js'
import { escapeDeep } from '../output/escape.js'
import { localRefusals } from '../preflight/local.js'
import { accessFindings } from '../preflight/access.js'
import { updateFindings } from '../preflight/plan.js'
import { PLANNED_KEY_ID, planRotation, reservedRotateFindings, rotateSupportFindings } from '../preflight/rotate.js'
import { hasBlock } from '../preflight/rules.js'
import { applyChange, pollTiming, refuse, runChange, canAsk } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'
import { createKey, readOldKeyAccess, setAside } from '../engine/rotation.js'
import { probeAfter, probeBefore, probeCallers, type ProbeSettings } from '../engine/probe.js'
import { probeFindings } from '../preflight/probe.js'
import { probeReport } from '../output/probeView.js'

export interface RotateOptions {
  alias: string
  dryRun: boolean
  yes: boolean
  /** The new key's description; by default the old one with "(rotated from … on …)". */
  description?: string
  copyPolicy: boolean
  copyTags: boolean
  /** The preflight's overrides, as update takes them. */
  allowSpecChange: boolean
  allowDisabled: boolean
  /** ACCESS_NARROWED and GRANTS_MISSING (the new key has no grants) warn instead of block. */
  allowAccessChange: boolean
  verify: boolean
  verifyTimeout: number
  /** The use probe (--no-probe, --probe-timeout, --probe-as); absent: none. */
  probe?: ProbeSettings
}

/**
 * Manual rotation in one command: read the old key, plan a key like it (policy, tags, description,
 * rotation), run update's preflight from the old key to the planned one, CreateKey, then move the
 * alias through the one write path and confirm. The old key is never touched; a new key the alias
 * could not be moved to is disabled, never deleted.
 */
export async function runRotate(options: RotateOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  const aliasRef = parseAliasRef(options.alias, 'alias')
  if (!options.yes && !options.dryRun && !canAsk(ctx, globals.output)) {
    throw new UsageError(
      '--yes is required to rotate when not running interactively',
      'rotate creates a KMS key, which is billed monthly until it is deleted; pass --yes, or --dry-run to see the plan',
    )
  }
  const name = aliasRef.name
  return runChange(
    ctx,
    globals,
    { action: 'rotate', alias: name, dryRun: options.dryRun },
    async (step) => {
      const { kms, region, ui, report, plan } = step
      const rotation = emptyRotation()
      report.rotation = rotation
      const local = [...localRefusals(aliasRef, region), ...reservedRotateFindings(name)]
      if (local.length > 0) return refuse(report, local, plan)

      // The key's policy, tags, grants and rotation are read as soon as DescribeKey has answered,
      // beside ListAliases. What cannot be rotated this way is refused before any of them is read.
      const [[current], access] = await ui.progress(`Preflight: describing ${name}`, (spinner) =>
        describeThen(kms, [{ ref: name, label: `alias ${name}` }], ([key]) => {
          if (hasBlock(rotateSupportFindings(key))) return Promise.resolve(undefined)
          spinner.text(`Preflight: reading the key policy, tags, grants and rotation of ${key.keyId}`)
          return readOldKeyAccess(kms, key, options)
        }),
      )
      const old = current.key
      report.previous = toKeyView(old)
      const support = rotateSupportFindings(old)
      if (hasBlock(support) || access === undefined) return refuse(report, support, plan)
      const { copyPolicy, copyTags, description } = options
      const planned = planRotation({ old, access, copyPolicy, copyTags, description, now: ctx.now() })
      rotation.newKey = newKeyView(planned, options)
      rotation.planned = toKeyView(planned.planned)
      rotation.oldAccess = {
        tags: access.tags.ok ? Object.keys(access.tags.value).length : null,
        automaticRotation: access.rotation?.ok ? access.rotation.value : null,
        grants: access.grants.ok ? access.grants.value.length : null,
      }
      // The whole update preflight, from the old key to the one CreateKey would make, access included
      // (what the new key will have: the copied policy and tags, no grants).
      report.findings = [
        ...support,
        ...updateFindings({
          aliasRef,
          targetRef: { kind: 'key', keyId: PLANNED_KEY_ID, input: PLANNED_KEY_ID },
          current,
          target: { key: planned.planned, aliases: [] },
          overrides: { allowSpecChange: options.allowSpecChange, allowDisabled: options.allowDisabled },
        }),
        ...accessFindings({
          aliasName: name,
          current: old,
          target: planned.planned,
          currentAccess: planned.oldAccess,
          targetAccess: planned.plannedAccess,
          allowAccessChange: options.allowAccessChange === true,
        }),
      ]
      let created: KeyInfo | undefined
      const probing = options.probe?.enabled ? options.probe : undefined
      const probeRunId = `probe-${newJournalId()}`
      let afterProbe: (() => ReturnType<typeof probeAfter>) | undefined
      try {
        return await applyChange(step, {
          findings: report.findings,
          dryRun: options.dryRun,
          yes: options.yes,
          dryOutcome: 'would-rotate',
          question: `Create a new ${planned.request.keySpec} key (a KMS key is billed monthly until it is deleted) and point ${name} to it?`,
          declined: 'cancelled at the prompt; no key was created',
          verify: options.verify,
          ...(probing ? { probe: { after: () => (afterProbe ? afterProbe() : Promise.resolve(null)) } } : {}),
          // The key is created only once the gate has passed: a refused, dry or declined rotation bills nothing.
          move: async () => {
            // A key is billed from the moment it exists: a journal that could not record the move
            // refuses the run now, before CreateKey, not at the write after it.
            const unjournaled = await step.writer.journalProblem()
            if (unjournaled) throw new CliError(`${unjournaled.message}; no key was created`, unjournaled.exitCode, unjournaled.hint)
            const key = await ui.progress(`Creating a new ${planned.request.keySpec} key`, () => createKey(kms, planned, old))
            created = key
            rotation.createdKeyId = key.keyId
            report.target = toKeyView(key)
            if (planned.enableRotation) await ui.progress(`Enabling automatic rotation of ${key.keyId}`, () => kms.enableKeyRotation(key.keyId))
            if (probing) {
              // The new key exists only now: it is probed by its ID before the alias moves to it.
              const callers = await probeCallers(step.session, kms, probing)
              const before = await ui.progress(`Probing ${name} and ${key.keyId}`, () =>
                probeBefore(callers, { aliasName: name, current: old, target: key, runId: probeRunId, targetSkipped: null }),
              )
              const found = probeFindings(before)
              report.probe = probeReport(before)
              report.findings = [...report.findings, ...found]
              const blocking = found.filter((f) => f.severity === 'block').map((f) => f.code)
              if (blocking.length > 0) {
                report.outcome = 'refused'
                throw new CliError(`refused by the use probe: ${blocking.join(', ')}; ${name} was not moved to the new key`, Exit.Refused, 'see the findings')
              }
              afterProbe = () => probeAfter(callers, before, key, probeRunId, pollTiming(ctx, probing.timeoutSeconds))
            }
            return {
              label: `Pointing ${name} to ${key.keyId}`,
              write: { action: 'rotate', expected: old.keyId, wanted: key.keyId, createdKeyId: key.keyId, send: () => kms.updateAlias(name, key.keyId) },
              account: old.accountId || null,
              undo: undoCommand(name, old, key, region, globals),
              outcome: 'rotated',
              confirmLabel: `Confirming ${name} with ListAliases`,
              confirm: () =>
                confirmAliasTarget(kms, { aliasName: name, expectedKeyId: key.keyId, previousKeyId: old.keyId, ...pollTiming(ctx, options.verifyTimeout) }),
              expectation: { operation: 'UpdateAlias', aliasName: name, expected: `${name} on ${key.keyId}`, timeoutSeconds: options.verifyTimeout },
            }
          },
        })
      } catch (error) {
        if (created === undefined) throw error
        // Only a key the alias is known not to point to is disabled: disabling one it may point to
        // (changed: null) would break every caller.
        if (report.changed === false) {
          rotation.unusedKey = await setAside(kms, ui, created, region, globals)
          if (rotation.unusedKey.disabled && report.target) report.target = { ...report.target, keyState: 'Disabled' }
        }
        // A warning, so that --quiet never hides a key that was created and is not used.
        ui.warn(unusedKeyNote(escapeDeep(report)))
        throw error
      }
    },
    rotateView,
  )
}

/** Moving the alias back is an update, guarded on the created key; the created key stays as it is. */
function undoCommand(aliasName: string, old: KeyInfo, created: KeyInfo, region: string, globals: GlobalOptions): string {
  const command = kmsAliasCommand(['update', aliasName, '--to', old.keyId, '--expect-current', created.keyId], region, globals)
  return old.keyState === 'Enabled' ? command : `${command} --allow-disabled`
}
