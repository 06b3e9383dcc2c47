// rotate's KMS operations besides the move itself: the old key's access read for the plan, the
// CreateKey that makes the new key, and setting a created key aside when the alias was not moved.
import type { GlobalOptions } from '../cli/globalOptions.js'
import { AccessError, AwsError } from '../errors.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import type { UnusedKeyView } from '../output/rotateView.js'
import { shellCommand } from '../output/shell.js'
import type { Ui } from '../output/ui.js'
import type { Read } from '../preflight/access.js'
import { settleRead } from '../preflight/accessPreflight.js'
import { ROTATED_FROM_TAG, type AccessSnapshot, type RotationPlan } from '../preflight/rotate.js'

const COPY_POLICY_HINT = "rotate copies the key policy: allow kms:GetKeyPolicy, or pass --no-copy-policy to give the new key KMS's default policy"
const ROTATION_HINT = 'rotate turns automatic rotation on for the new key when the old key has it: allow kms:GetKeyRotationStatus'

/** GetKeyPolicy, ListGrants, ListResourceTags and (symmetric keys) GetKeyRotationStatus, at once. */
export async function readOldKeyAccess(kms: KmsPort, key: KeyInfo, options: { copyPolicy: boolean; copyTags: boolean }): Promise<AccessSnapshot> {
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
export async function createKey(kms: KmsPort, planned: RotationPlan, old: KeyInfo): Promise<KeyInfo> {
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
export async function setAside(kms: KmsPort, ui: Ui, created: KeyInfo, region: string, globals: GlobalOptions): Promise<UnusedKeyView> {
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
