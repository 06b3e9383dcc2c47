import type { Context } from '../cli/context.js'
import { AccessError, AwsError, CliError, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { confirmAliasTarget } from '../kms/confirm.js'
import { parseAliasRef } from '../kms/identifiers.js'
import { describeThen } from '../kms/lookups.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { toKeyView } from '../output/keyView.js'
import { emptyRotation, rotateView, unusedKeyNote, type NewKeyView, type UnusedKeyView } from '../output/rotateView.js'
import { shellCommand } from '../output/shell.js'
import type { Ui } from '../output/ui.js'
import { escapeDeep } from '../output/escape.js'
import { localRefusals } from '../preflight/local.js'
import { accessFindings, type Read } from '../preflight/access.js'
import { settleRead } from '../preflight/accessPreflight.js'
import { updateFindings } from '../preflight/plan.js'
import {
  PLANNED_KEY_ID,
  planRotation,
  reservedRotateFindings,
  ROTATED_FROM_TAG,
  rotateSupportFindings,
  type AccessSnapshot,
  type RotationPlan,
} from '../preflight/rotate.js'
import { hasBlock } from '../preflight/rules.js'
import { applyChange, pollTiming, refuse, runChange, canAsk } from '../engine/run.js'
import { kmsAliasCommand } from '../output/shell.js'

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
      try {
        return await applyChange(step, {
          findings: report.findings,
          dryRun: options.dryRun,
          yes: options.yes,
          dryOutcome: 'would-rotate',
          question: `Create a new ${planned.request.keySpec} key (a KMS key is billed monthly until it is deleted) and point ${name} to it?`,
          declined: 'cancelled at the prompt; no key was created',
          verify: options.verify,
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

const COPY_POLICY_HINT = "rotate copies the key policy: allow kms:GetKeyPolicy, or pass --no-copy-policy to give the new key KMS's default policy"
const ROTATION_HINT = 'rotate turns automatic rotation on for the new key when the old key has it: allow kms:GetKeyRotationStatus'

/** GetKeyPolicy, ListGrants, ListResourceTags and (symmetric keys) GetKeyRotationStatus, at once. */
async function readOldKeyAccess(kms: KmsPort, key: KeyInfo, options: Pick<RotateOptions, 'copyPolicy' | 'copyTags'>): Promise<AccessSnapshot> {
  const id = key.keyId
  // Automatic rotation exists only for symmetric keys (rotateSupportFindings refused other origins).
  const rotates = key.keySpec === 'SYMMETRIC_DEFAULT'
  const [policy, grants, tags, rotation] = await Promise.all([
    options.copyPolicy
      ? required(() => kms.getKeyPolicy(id), COPY_POLICY_HINT)
      : settleRead(() => kms.getKeyPolicy(id)),
    // Grants are never copied; they are read for the access comparison.
    settleRead(() => kms.listGrants(id)),
    options.copyTags
      ? required(() => kms.listResourceTags(id), 'rotate copies the tags: allow kms:ListResourceTags, or pass --no-copy-tags')
      : settleRead(() => kms.listResourceTags(id)),
    rotates
      ? required(() => kms.getKeyRotationStatus(id), ROTATION_HINT)
      : undefined,
  ])
  return { policy, grants, tags, ...(rotation ? { rotation } : {}) }
}

/** A read the plan cannot do without: its failure ends the run; a denial says what to do about it. */
async function required<T>(read: () => Promise<T>, hint: string): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() }
  } catch (error) {
    throw error instanceof AccessError ? new AccessError(error.message, hint) : error
  }
}

/** CreateKey, saying what a failure may have left behind. */
async function createKey(kms: KmsPort, planned: RotationPlan, old: KeyInfo): Promise<KeyInfo> {
  try {
    return await kms.createKey(planned.request)
  } catch (error) {
    if (!(error instanceof AwsError)) throw error
    // CreateKey is not idempotent: a failure after retries may hide a key that was made.
    const found = `the alias was not changed; a key may have been created anyway: look for one tagged ${ROTATED_FROM_TAG}=${old.keyId}`
    const hint =
      error.awsCode === 'MalformedPolicyDocumentException'
        ? 'KMS refused the copied policy (it must let these credentials manage the new key); fix it, or pass --no-copy-policy'
        : found
    throw new AwsError(error.message, error.awsCode, hint)
  }
}

/** Disables a created key the alias was not moved to; nothing is deleted. */
async function setAside(kms: KmsPort, ui: Ui, created: KeyInfo, region: string, globals: GlobalOptions): Promise<UnusedKeyView> {
  const profile = globals.profile ? ['--profile', globals.profile] : []
  const words = ['aws', 'kms', 'schedule-key-deletion', '--key-id', created.keyId, '--pending-window-in-days', '30', '--region', region]
  const scheduleDeletion = shellCommand([...words, ...profile])
  try {
    await ui.progress(`Disabling the unused new key ${created.keyId}`, () => kms.disableKey(created.keyId))
    return { keyId: created.keyId, disabled: true, scheduleDeletion, error: null }
  } catch (error) {
    return { keyId: created.keyId, disabled: false, scheduleDeletion, error: error instanceof Error ? error.message : String(error) }
  }
}

function newKeyView(planned: RotationPlan, options: Pick<RotateOptions, 'copyPolicy'>): NewKeyView {
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

/** Moving the alias back is an update, guarded on the created key; the created key stays as it is. */
function undoCommand(aliasName: string, old: KeyInfo, created: KeyInfo, region: string, globals: GlobalOptions): string {
  const command = kmsAliasCommand(['update', aliasName, '--to', old.keyId, '--expect-current', created.keyId], region, globals)
  return old.keyState === 'Enabled' ? command : `${command} --allow-disabled`
}
