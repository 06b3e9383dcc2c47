// What the use probe meets in AWS and the in-memory KMS does not do by itself: a key policy that
// denies the operation, a data plane that still resolves the alias to the old key, a failure only
// for one caller's credentials. A FakeKms whose crypto calls answer as a test says.
import { KmsErrorResponse } from '../../src/kms/memoryErrors.js'
import type * as Crypto from '../../src/kms/port.js'
import type { KmsPort } from '../../src/kms/port.js'
import { translateError } from '../../src/kms/translate.js'
import { FakeKms, REGION, type FakeKmsOptions } from './fakeKms.js'

/** KMS's answer `name` to `operation` on `subject`, translated as the adapter translates it. */
export function kmsAnswer(name: string, operation: string, subject: string, message = `${operation} is not allowed`): Error {
  return translateError(new KmsErrorResponse(name, 400, message), { operation, subject, region: REGION }) as Error
}

/** How one Encrypt (or Sign, GenerateMac) is answered: normally, with an error, or by the old key. */
export type UseAnswer = 'normal' | 'old-key' | Error

export interface UseFaultOptions extends FakeKmsOptions {
  /**
   * Decides each Encrypt: `keyRef` as sent, whether UpdateAlias was already called, and how many
   * Encrypts through that keyRef came before since then.
   */
  answer: (keyRef: string, afterUpdate: boolean, nth: number) => UseAnswer
}

/** A FakeKms whose Encrypt/Decrypt answer as `answer` says (the other probes pass through). */
export class UseFaultKms extends FakeKms {
  private updated = false
  private readonly counts = new Map<string, number>()
  // Where a Decrypt through an alias goes after an Encrypt the old key answered.
  private readonly redirected = new Map<string, string>()

  constructor(private readonly faults: UseFaultOptions) {
    super(faults)
  }

  override async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    const before = this.aliases.get(aliasName)
    await super.updateAlias(aliasName, targetKeyId)
    this.updated = true
    if (before) this.oldKey.set(aliasName, before)
  }

  private readonly oldKey = new Map<string, string>()

  override async encrypt(request: Crypto.EncryptRequest): Promise<Crypto.EncryptAnswer> {
    const key = `${this.updated}:${request.keyRef}`
    const nth = this.counts.get(key) ?? 0
    this.counts.set(key, nth + 1)
    const answer = this.faults.answer(request.keyRef, this.updated, nth)
    this.redirected.delete(request.keyRef)
    if (answer instanceof Error) {
      this.calls.push(`Encrypt ${request.keyRef}`)
      throw answer
    }
    if (answer === 'old-key') {
      const old = this.oldKey.get(request.keyRef)
      if (!old) throw new Error(`test: no old key of ${request.keyRef}`)
      this.redirected.set(request.keyRef, old)
      this.calls.push(`Encrypt ${request.keyRef}`)
      return this.useKey(old, request)
    }
    return super.encrypt(request)
  }

  override async decrypt(request: Crypto.DecryptRequest): Promise<Crypto.DecryptAnswer> {
    const old = request.keyRef && this.redirected.get(request.keyRef)
    if (old) {
      this.calls.push(`Decrypt ${request.keyRef}`)
      return super.decrypt.call(this.silent(), { ...request, keyRef: old })
    }
    return super.decrypt(request)
  }

  private async useKey(keyId: string, request: Crypto.EncryptRequest): Promise<Crypto.EncryptAnswer> {
    return super.encrypt.call(this.silent(), { ...request, keyRef: keyId })
  }

  /** This port, recording nothing (the call was recorded under the name it was sent with). */
  private silent(): KmsPort {
    return Object.assign(Object.create(this) as this, { calls: [] as string[] })
  }
}
