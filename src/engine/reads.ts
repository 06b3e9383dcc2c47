// The reads of one run, shared by every item it plans: each way of naming a key is described once,
// each key's aliases listed once, each key's policy, grants and tags read once, IAM's policies
// once. One RunReads per port (per account and Region): what it holds is true only there.
import { AccessError, NotFoundError } from '../errors.js'
import type { IamPort } from '../iam/port.js'
import type { KeyRef } from '../kms/identifiers.js'
import type { AliasEntry, KeyInfo, KmsPort } from '../kms/port.js'
import { newAccessCache, startAccessReads, type AccessCache } from '../preflight/accessPreflight.js'

export class RunReads {
  private readonly keys = new Map<string, Promise<KeyInfo>>()
  private readonly lists = new Map<string, Promise<AliasEntry[]>>()
  /** Policies, grants, tags and rotation of each key, and IAM's identity policies. */
  readonly access: AccessCache = newAccessCache()

  constructor(
    readonly kms: KmsPort,
    /** Opens the IAM port; given only with --iam. */
    readonly iam?: () => Promise<IamPort>,
    /**
     * Every alias of the Region by name, from one listing, when a run plans many: then no alias is
     * described on its own and no key's aliases are listed again. Undefined (or resolving to
     * undefined): each alias is described.
     */
    private readonly aliasTable?: Promise<Map<string, AliasEntry> | undefined>,
  ) {
    // Read only when planning asks; a failure surfaces there, not as an unhandled rejection.
    aliasTable?.catch(() => undefined)
  }

  /** DescribeKey, once for each way a key is named. */
  describe(ref: string): Promise<KeyInfo> {
    let lookup = this.keys.get(ref)
    if (!lookup) {
      lookup = this.kms.describeKey(ref)
      this.keys.set(ref, lookup)
    }
    return lookup
  }

  /**
   * Sends every read of a key that its name alone allows, at once: DescribeKey, and when it is named
   * by key ID or ARN (which hold the ID), its aliases and the access reads that need only the ID.
   * Those are read from here when the plan asks for them; a key that turns out not to exist never
   * asks, and their failures are left unseen.
   */
  startKeyReads(ref: KeyRef): void {
    this.describe(ref.input).catch(() => undefined)
    if (ref.kind !== 'key') return
    if (!this.aliasTable) this.listAliasesOf(ref.keyId).catch(() => undefined)
    startAccessReads(this.kms, ref.keyId, this.access)
  }

  /** The key the alias points to, or undefined when it does not exist. */
  aliasKey(aliasName: string): Promise<KeyInfo | undefined> {
    // Without a listing DescribeKey goes out at once, first among the plan's reads.
    if (!this.aliasTable) return this.describeAlias(aliasName)
    return this.aliasTable.then(async (table) => {
      const listed = table?.get(aliasName)
      if (table && !listed) return undefined
      if (listed?.targetKeyId) {
        // Described by key ID, shared by the aliases on that key. A caller allowed the key only
        // through its alias (kms:RequestAlias), or a key that has just gone, is read as a single
        // alias is read: DescribeKey of the alias.
        const key = await this.describe(listed.targetKeyId).catch((error: unknown) => {
          if (error instanceof AccessError || error instanceof NotFoundError) return undefined
          throw error
        })
        if (key) return key
      }
      return this.describeAlias(aliasName)
    })
  }

  private describeAlias(aliasName: string): Promise<KeyInfo | undefined> {
    return this.describe(aliasName).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
  }

  /** The aliases of a key (one page: a key has at most 50). */
  aliasesOf(keyId: string): Promise<AliasEntry[]> {
    // Without a listing the call goes out at once, beside the access reads started with it.
    if (!this.aliasTable) return this.listAliasesOf(keyId)
    return this.aliasTable.then((table) => (table ? [...table.values()].filter((a) => a.targetKeyId === keyId) : this.listAliasesOf(keyId)))
  }

  private listAliasesOf(keyId: string): Promise<AliasEntry[]> {
    let list = this.lists.get(keyId)
    if (!list) {
      list = this.kms.listAliases({ keyId })
      this.lists.set(keyId, list)
    }
    return list
  }
}
