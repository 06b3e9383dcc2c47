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
  /** The reads that need only a key's ID, sent before the key was described (startAccessReads). */
  byId: Map<string, Promise<ReadsById>>
  iam?: Promise<Read<IdentityPolicy[]>>
}

export const newAccessCache = (): AccessCache => ({ keys: new Map(), byId: new Map() })

type ReadsById = Pick<KeyAccess, 'policy' | 'grants' | 'tags'>

/**
 * Sends the reads of a key that need only its ID (policy, grants, tags) before the key is described,
 * so that they share the DescribeKey's round trip; the rotation status waits for the key's spec.
 */
export function startAccessReads(kms: KmsPort, keyId: string, cache: AccessCache): void {
  if (cache.keys.has(keyId) || cache.byId.has(keyId)) return
  const reads = readById(kms, keyId)
  // A stop signal surfaces where the access is awaited; a key never described never awaits it.
  reads.catch(() => undefined)
  cache.byId.set(keyId, reads)
}

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

/** A key's access reads, from the run's cache (read once per key); also what --callers checks against. */
export function keyAccessOf(kms: KmsPort, key: KeyInfo, cache: AccessCache): Promise<KeyAccess> {
  let access = cache.keys.get(key.keyId)
  if (!access) {
    access = readKeyAccess(kms, key, cache.byId.get(key.keyId))
    cache.keys.set(key.keyId, access)
  }
  return access
}

function identityPolicies(open: () => Promise<IamPort>, cache: AccessCache): Promise<Read<IdentityPolicy[]>> {
  cache.iam ??= settleRead(async () => (await open()).identityPolicies())
  return cache.iam
}

/**
 * GetKeyPolicy, ListGrants, ListResourceTags and GetKeyRotationStatus of one key, concurrently;
 * `started`: the first three, already sent by the key's ID.
 */
export async function readKeyAccess(kms: KmsPort, key: KeyInfo, started?: Promise<ReadsById>): Promise<KeyAccess> {
  // Automatic rotation exists only for symmetric keys (KMS developer guide, rotate-keys.html).
  const rotates = keyClassOf(key.keySpec) === 'symmetric'
  const [byId, rotation] = await Promise.all([
    started ?? readById(kms, key.keyId),
    rotates ? settleRead(() => kms.getKeyRotationStatus(key.keyId)) : undefined,
  ])
  return { ...byId, ...(rotation ? { rotation } : {}) }
}

async function readById(kms: KmsPort, keyId: string): Promise<ReadsById> {
  const [policy, grants, tags] = await Promise.all([
    settleRead(() => kms.getKeyPolicy(keyId)),
    settleRead(() => kms.listGrants(keyId)),
    settleRead(() => kms.listResourceTags(keyId)),
  ])
  return { policy, grants, tags }
}

/** A failed read as data; a stop signal (Ctrl-C, SIGTERM, SIGHUP) and bugs still end the run. */
export async function settleRead<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() }
  } catch (error) {
    // By class, not by exit code: SIGTERM (143) and SIGHUP (129) stop the run as Ctrl-C (130) does.
    if (!(error instanceof CliError) || error instanceof InterruptedError) throw error
    return { ok: false, error: error.message }
  }
}
