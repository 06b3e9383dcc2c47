// The reads behind the access preflight: for each key its policy, grants, tags and (symmetric
// keys only) rotation status, all at once; IAM's identity policies once per run with --iam. A
// read that fails never fails the change: it becomes an ACCESS_UNCHECKED warning; a stop signal
// during the reads stops the run.
import { CliError, InterruptedError } from '../errors.js'
import type { IamPort, IdentityPolicy } from '../iam/port.js'
import type { KeyInfo, KmsPort } from '../kms/port.js'
import { accessFindings, type KeyAccess, type Read } from './access.js'
import { keyClassOf } from '../kms/facts.js'
import type { Finding } from './rules.js'

export interface AccessOptions {
  aliasName?: string | undefined
  allowAccessChange: boolean
  /** Opens the IAM port; given only with --iam. */
  iam?: (() => Promise<IamPort>) | undefined
  /** Shared by the entries of one apply run: each key, and IAM, is read once. */
  cache?: AccessCache | undefined
}

export interface AccessCache {
  keys: Map<string, Promise<KeyAccess>>
  iam?: Promise<Read<IdentityPolicy[]>>
}

export const newAccessCache = (): AccessCache => ({ keys: new Map() })

/** The access findings for moving an alias from `current` to `target` (reads included). */
export async function accessPreflight(kms: KmsPort, current: KeyInfo, target: KeyInfo, options: AccessOptions): Promise<Finding[]> {
  if (current.keyId === target.keyId) return []
  const cache = options.cache ?? newAccessCache()
  const [currentAccess, targetAccess, iam] = await Promise.all([
    keyAccessOf(kms, current, cache),
    keyAccessOf(kms, target, cache),
    options.iam ? identityPolicies(options.iam, cache) : undefined,
  ])
  return accessFindings({
    aliasName: options.aliasName,
    current,
    target,
    currentAccess,
    targetAccess,
    ...(iam ? { iam } : {}),
    allowAccessChange: options.allowAccessChange,
  })
}

function keyAccessOf(kms: KmsPort, key: KeyInfo, cache: AccessCache): Promise<KeyAccess> {
  let access = cache.keys.get(key.keyId)
  if (!access) {
    access = readKeyAccess(kms, key)
    cache.keys.set(key.keyId, access)
  }
  return access
}

function identityPolicies(open: () => Promise<IamPort>, cache: AccessCache): Promise<Read<IdentityPolicy[]>> {
  cache.iam ??= settle(async () => (await open()).identityPolicies())
  return cache.iam
}

/** GetKeyPolicy, ListGrants, ListResourceTags and GetKeyRotationStatus of one key, concurrently. */
export async function readKeyAccess(kms: KmsPort, key: KeyInfo): Promise<KeyAccess> {
  // Automatic rotation exists only for symmetric keys (KMS developer guide, rotate-keys.html).
  const rotates = keyClassOf(key.keySpec) === 'symmetric'
  const [policy, grants, tags, rotation] = await Promise.all([
    settle(() => kms.getKeyPolicy(key.keyId)),
    settle(() => kms.listGrants(key.keyId)),
    settle(() => kms.listResourceTags(key.keyId)),
    rotates ? settle(() => kms.getKeyRotationStatus(key.keyId)) : undefined,
  ])
  return { policy, grants, tags, ...(rotation ? { rotation } : {}) }
}

/** A failed read as data; a stop signal (Ctrl-C, SIGTERM, SIGHUP) and bugs still end the run. */
async function settle<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() }
  } catch (error) {
    // By class, not by exit code: SIGTERM (143) and SIGHUP (129) stop the run as Ctrl-C (130) does.
    if (!(error instanceof CliError) || error instanceof InterruptedError) throw error
    return { ok: false, error: error.message }
  }
}
