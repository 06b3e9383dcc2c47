// The one write path. Every mutating call kms-alias makes (update, create, delete, each apply entry,
// each rollback, undo, rotate) goes through `Writer.write`, in this order:
//   lock    one writer per (account, Region, alias) on this machine, held until the call returned
//   guard   re-read the alias; if it is not where the plan saw it, nothing is sent (conflict)
//   intent  append and flush the journal line naming the previous and the new key
//   send    the call itself
//   outcome settle what happened (reading again when the call failed ambiguously), journal it
// Confirmation comes after, from the caller, and is journaled with `verified`.
// A run that writes right after planning, with nothing waiting on a person in between, takes the
// lock and starts the guard read early (`Writer.reserve`), beside the plan's last reads, and hands
// the reservation to `write`: one round trip fewer. The guard read is then still made under the
// lock, and still the last read of the alias before the call; what it cannot see is in
// docs/safety.md ("The guard read").
import type { Context } from '../cli/context.js'
import { AccessError, AwsError, CliError, ConflictError, InterruptedError, interruptedBy } from '../errors.js'
import { lockWaitMs, type GlobalOptions } from '../cli/globalOptions.js'
import { newJournalId, type JournalAction, type JournalLine, type KeyStateAction } from './journal.js'
import { poll, type Read } from '../kms/confirm.js'
import { currentTarget } from '../kms/lookups.js'
import { MEMORY_ENDPOINT, type KmsPort } from '../kms/port.js'
import { LockTimeoutError, type LockLoss, type Release } from './lock.js'
import { stateStoreOf, type JournalStore, type StateStore } from './store.js'
import type { Log } from '../output/ui.js'
import { version } from '../version.js'

/** Who asked for a change: a command of its own, or undo/rollback of a journal entry, maybe within an apply run. */
export interface WriteOrigin {
  command: string
  reverts: string | null
  runId: string | null
}

export interface PlannedWrite {
  action: JournalAction
  alias: string
  region: string
  account: string | null
  /** Where the plan saw the alias: a key ID, or undefined when it did not exist. */
  expected: string | undefined
  /** Where the call leaves it: a key ID, or undefined when it deletes it. */
  wanted: string | undefined
  origin: WriteOrigin
  createdKeyId?: string
  send: () => Promise<void>
  /** Errors besides AwsError that a retried call answers when its first try did the work. */
  retryAnswers?: (error: unknown) => boolean
  /**
   * The write puts back a change this run made (a rollback). It is made even when its intent cannot
   * be journaled: the change it reverts is on record, and an alias left half-changed (one Region
   * moved, the next not) breaks callers, where a missing journal line only loses history.
   */
  restores?: boolean
}

/**
 * A write of a key's state (retire, and undo of it; issue 21): the same path as an alias's, with the
 * lock taken on the key and the guard reading the key's state instead of an alias.
 */
export interface PlannedKeyStateWrite {
  action: KeyStateAction
  keyId: string
  region: string
  account: string | null
  /** The key's state when the plan saw it: anything else now means another writer acted. */
  expectedState: string
  /** The state the call leaves the key in. */
  wantedState: string
  pendingWindowInDays?: number
  origin: WriteOrigin
  send: () => Promise<void>
}

export type WriteOutcome =
  | { status: 'written'; changed: true; journalId: string | null }
  /** The alias was not where the plan saw it (`seen`), or another run on this machine held it: nothing was sent. */
  | { status: 'conflict'; changed: false; seen: string | undefined | null; journalId: null; error: CliError }
  /** The call failed; `changed` says whether KMS made the change anyway (null: it could not be told). */
  | { status: 'failed'; changed: boolean | null; journalId: string | null; error: CliError }

// How long the outcome of an ambiguous failure is read for; the confirmation's backoff (250 ms,
// doubling) gives about five reads in this window.
const SETTLE_MS = 4_000

/** Where a write goes: the lock is per (account, Region, alias). */
export type WritePlace = Pick<PlannedWrite, 'alias' | 'region' | 'account'>

/**
 * An alias locked for a write that is to follow, with the write's guard read started under the
 * lock (Writer.reserve). `write` takes it over; a run that ends without writing releases it.
 */
export class Reservation {
  private taken = false
  private released = false

  /** @param locked the lock, or its failure, which the write reports as it would its own. */
  constructor(
    readonly place: WritePlace,
    private readonly locked: Promise<Release | undefined>,
    private readonly seen: Promise<string | undefined>,
    private readonly abandon: AbortController,
  ) {
    // Either may fail, and either may never be awaited (a run refused after reserving).
    locked.catch(() => undefined)
    seen.catch(() => undefined)
  }

  /** Hands the lock and the guard read to the write, which releases the lock from then on. */
  take(): { locked: Promise<Release | undefined>; seen: Promise<string | undefined> } {
    if (this.taken || this.released) throw new Error(`the reservation of ${this.place.alias} was already used`)
    this.taken = true
    return { locked: this.locked, seen: this.seen }
  }

  /** Gives the lock back when no write took it (refused, already in place, a failure); else nothing. */
  async release(): Promise<void> {
    if (this.taken || this.released) return
    this.released = true
    // A lock still awaited (another run holds it) is not waited for.
    this.abandon.abort()
    const release = await this.locked.catch(() => undefined)
    await release?.()
  }
}

/** Makes a run's mutating calls; one per run, so that journal warnings are given once. */
export class Writer {
  private journalWarned = false

  constructor(
    private readonly ctx: Context,
    private readonly log: Log,
    private readonly globals: GlobalOptions,
    private readonly kms: KmsPort,
  ) {}

  /**
   * Takes the alias's lock and starts the guard read now, for a write that follows with nothing
   * waiting on a person in between (a prompt would leave the read stale): pass the reservation to
   * `write`, or release it.
   */
  reserve(place: WritePlace): Reservation {
    const abandon = new AbortController()
    const locked = this.lock(place, abandon.signal)
    const seen = locked.then(() => currentTarget(this.kms, place.alias))
    return new Reservation({ alias: place.alias, region: place.region, account: place.account }, locked, seen, abandon)
  }

  /** Writes `w`: with a reservation of its alias, under that lock and with that guard read. */
  async write(w: PlannedWrite, reservation?: Reservation): Promise<WriteOutcome> {
    const reserved = reservation && this.reserved(w, reservation)
    let release: Release | undefined
    try {
      release = await (reserved ? reserved.locked : this.lock(w))
    } catch (error) {
      if (error instanceof CliError) return { status: 'failed', changed: false, journalId: null, error }
      if (isFileSystemError(error)) {
        const cause = new AccessError(`cannot take the lock for ${w.alias}: ${error.message}; nothing was changed`, LOCK_HINT)
        return { status: 'failed', changed: false, journalId: null, error: cause }
      }
      if (!(error instanceof LockTimeoutError)) throw error
      return conflict(null, new ConflictError(`${lockHolder(error)} is changing ${w.alias}; nothing was changed`, 'wait for it to finish, then run again (the plan may no longer hold)'))
    }
    let journalId: string | null = null
    let sent = false
    try {
      let seen: string | undefined
      try {
        seen = await (reserved ? reserved.seen : currentTarget(this.kms, w.alias))
      } catch (error) {
        return { status: 'failed', changed: false, journalId: null, error: this.failure(error) }
      }
      if (seen !== w.expected) return conflict(seen, movedError(w, seen, await this.store().then((store) => store.team, () => false)))

      // Write-ahead: a change whose previous key cannot be recorded first is not made.
      const recorded = await this.journal([this.intent(w)])
      if (recorded instanceof CliError && !w.restores) {
        return { status: 'failed', changed: false, journalId: null, error: journalRefusal(recorded) }
      }
      if (recorded instanceof CliError) this.log.warn(`the rollback of ${w.alias} in ${w.region} is made without its journal line: ${recorded.message}`)
      journalId = recorded instanceof CliError ? null : recorded
      const lost = await this.lockLost(release, journalId, w.alias)
      if (lost) return lost
      sent = true
      await w.send()
    } catch (error) {
      if (!sent) throw error
      // The call has returned: the next writer may go ahead while this one reads what happened.
      await release?.()
      release = undefined
      const failure = this.failure(error)
      const { changed, readable } = await this.settle(w, error)
      await this.journalOutcome(journalId, changed, false)
      if (changed === true) {
        this.log.debug(`${failure.message}, but ${w.alias} ${w.wanted === undefined ? 'is gone' : `points to ${w.wanted}`}: the call was applied`)
        return { status: 'written', changed: true, journalId }
      }
      return { status: 'failed', changed, journalId, error: withObservation(failure, w, changed, readable) }
    } finally {
      await release?.()
    }
    await this.journalOutcome(journalId, true, false)
    return { status: 'written', changed: true, journalId }
  }

  /** Writes a key's state: lock on the key, guard read of its state, intent, send, outcome. */
  async writeKeyState(w: PlannedKeyStateWrite): Promise<WriteOutcome> {
    const place: WritePlace = { alias: `key/${w.keyId}`, region: w.region, account: w.account }
    let release: Release | undefined
    try {
      release = await this.lock(place)
    } catch (error) {
      if (error instanceof CliError) return { status: 'failed', changed: false, journalId: null, error }
      if (isFileSystemError(error)) return { status: 'failed', changed: false, journalId: null, error: new AccessError(`cannot take the lock for ${w.keyId}: ${error.message}; nothing was changed`, LOCK_HINT) }
      if (!(error instanceof LockTimeoutError)) throw error
      return conflict(null, new ConflictError(`${lockHolder(error)} is changing ${w.keyId}; nothing was changed`, 'wait for it to finish, then run again'))
    }
    let journalId: string | null = null
    let sent = false
    const stateOf = async () => (await this.kms.describeKey(w.keyId)).keyState
    try {
      let seen: string | undefined
      try {
        seen = await stateOf()
      } catch (error) {
        return { status: 'failed', changed: false, journalId: null, error: this.failure(error) }
      }
      if (seen !== w.expectedState) {
        return conflict(
          seen,
          new ConflictError(
            `${w.keyId} is ${seen ?? 'in an unknown state'}, but when this run planned the change it was ${w.expectedState}: another writer changed it; nothing was changed`,
            'find out who else changes this key, then plan again',
          ),
        )
      }
      const recorded = await this.journal([this.keyIntent(w)])
      if (recorded instanceof CliError) return { status: 'failed', changed: false, journalId: null, error: journalRefusal(recorded) }
      journalId = recorded
      const lost = await this.lockLost(release, journalId, w.keyId)
      if (lost) return lost
      sent = true
      await w.send()
    } catch (error) {
      if (!sent) throw error
      await release?.()
      release = undefined
      const failure = this.failure(error)
      const changed = await this.settleKeyState(w, error, stateOf)
      await this.journalOutcome(journalId, changed, false)
      if (changed === true) return { status: 'written', changed: true, journalId }
      const observed = changed === false ? `${w.keyId} is ${w.expectedState} (unchanged)` : `it could not be told whether ${w.keyId} changed`
      return { status: 'failed', changed, journalId, error: failure instanceof AwsError ? new AwsError(`${failure.message}; ${observed}`, failure.awsCode, failure.hint) : failure }
    } finally {
      await release?.()
    }
    // The key's state is read back at once: DescribeKey answers what the call left.
    const confirmed = await stateOf().then(
      (state) => state === w.wantedState,
      () => false,
    )
    await this.journalOutcome(journalId, true, confirmed)
    return { status: 'written', changed: true, journalId }
  }

  /** As `settle`, over the key's state: a typed refusal is KMS's answer; anything else is read again over a short window. */
  private async settleKeyState(w: PlannedKeyStateWrite, error: unknown, stateOf: () => Promise<string | undefined>): Promise<boolean | null> {
    if (this.ctx.signal.aborted || error instanceof InterruptedError) return null
    if (!(error instanceof AwsError)) return false
    // "Unchanged" needs every read to show the state the plan saw; one read of the new state decides.
    let unchanged = true
    try {
      const result = await poll({ timeoutMs: SETTLE_MS, now: this.ctx.now, sleep: this.ctx.sleep, signal: this.ctx.signal }, async (): Promise<Read> => {
        const seen = await stateOf().catch(() => null)
        if (seen === w.wantedState) return { settled: { status: 'confirmed' } }
        if (seen !== w.expectedState) unchanged = false
        return { stale: undefined }
      })
      return result.status === 'confirmed' ? true : unchanged ? false : null
    } catch {
      return null
    }
  }

  /**
   * Right before a mutating call: whether this run still holds its lock (a team lock may have been
   * taken over by a waiter that judged it stale). When it does not, nothing is sent, and the intent
   * already recorded is closed as not changed.
   */
  private async lockLost(release: Release | undefined, journalId: string | null, subject: string): Promise<WriteOutcome | undefined> {
    const lost = await release?.stillHeld?.()
    if (!lost) return undefined
    await this.journalOutcome(journalId, false, false)
    return conflict(null, lockLostError(subject, lost))
  }

  private keyIntent(w: PlannedKeyStateWrite): JournalLine {
    return {
      type: 'intent',
      id: newJournalId(),
      time: this.ctx.now().toISOString(),
      account: w.account,
      region: w.region,
      alias: '',
      action: w.action,
      previousKeyId: null,
      newKeyId: null,
      command: w.origin.command,
      reverts: w.origin.reverts,
      runId: w.origin.runId,
      toolVersion: version,
      keyId: w.keyId,
      previousState: w.expectedState,
      newState: w.wantedState,
      ...(w.pendingWindowInDays === undefined ? {} : { pendingWindowInDays: w.pendingWindowInDays }),
    }
  }

  private reserved(w: PlannedWrite, reservation: Reservation): ReturnType<Reservation['take']> {
    const { alias, region, account } = reservation.place
    // A lock or a guard read of another alias would guard nothing: a bug, not an outcome.
    if (alias !== w.alias || region !== w.region || account !== w.account) {
      throw new Error(`the reservation of ${alias} (${region}, ${account}) does not match the write of ${w.alias} (${w.region}, ${w.account})`)
    }
    return reservation.take()
  }

  /** Records that the change was confirmed. */
  async verified(journalId: string | null): Promise<void> {
    if (journalId) await this.journalOutcome(journalId, true, true)
  }

  private failure(error: unknown): CliError {
    return failureOf(this.ctx, error)
  }

  /**
   * Whether a failed call changed the alias. A typed refusal from KMS is its answer to the request;
   * anything else (throttled retries, 5xx, timeouts, lost responses) may hide a success, so the alias
   * is read over a short window: one read showing the new state decides; "unchanged" needs every read.
   */
  private async settle(w: PlannedWrite, error: unknown): Promise<{ changed: boolean | null; readable: boolean }> {
    if (this.ctx.signal.aborted || error instanceof InterruptedError) return { changed: null, readable: true } // no time to look
    if (!(error instanceof AwsError) && !w.retryAnswers?.(error)) return { changed: false, readable: true }
    let unclear = false
    let readable = false
    try {
      const result = await poll({ timeoutMs: SETTLE_MS, now: this.ctx.now, sleep: this.ctx.sleep, signal: this.ctx.signal }, async (): Promise<Read> => {
        const seen = await currentTarget(this.kms, w.alias).catch(() => null)
        if (seen !== null) readable = true
        if (seen === w.wanted) return { settled: { status: 'confirmed' } }
        if (seen === null || seen === w.expected) return { stale: seen ?? undefined }
        unclear = true
        // Another writer acted: whether our call landed first cannot be told.
        return seen === undefined ? { settled: { status: 'gone' } } : { settled: { status: 'other-target', keyId: seen } }
      })
      if (result.status === 'confirmed') return { changed: true, readable }
      return { changed: result.status === 'timeout' && !unclear && readable ? false : null, readable }
    } catch {
      return { changed: null, readable }
    }
  }

  private intent(w: PlannedWrite): JournalLine {
    return {
      type: 'intent',
      id: newJournalId(),
      time: this.ctx.now().toISOString(),
      account: w.account,
      region: w.region,
      alias: w.alias,
      action: w.action,
      previousKeyId: w.expected ?? null,
      newKeyId: w.wanted ?? null,
      command: w.origin.command,
      reverts: w.origin.reverts,
      runId: w.origin.runId,
      ...(w.createdKeyId ? { createdKeyId: w.createdKeyId } : {}),
      toolVersion: version,
    }
  }

  /** The call went out with its intent recorded: an outcome that cannot be added leaves it "unknown" in the journal, a warning. */
  private async journalOutcome(id: string | null, changed: boolean | null, verified: boolean): Promise<void> {
    if (!id) return
    const recorded = await this.journal([{ type: 'outcome', id, time: this.ctx.now().toISOString(), changed, verified }])
    if (recorded instanceof CliError && !this.journalWarned) {
      this.journalWarned = true
      this.log.warn(`the journal shows the outcome of ${id} as unknown: ${recorded.message}`)
    }
  }

  /**
   * Whether a change could be journaled now, checked without writing a line: for a command that
   * does something costly before its first write (rotate creates a key), so that a journal which
   * cannot be written refuses the run before that, not after. Null when it can (or --no-journal).
   */
  async journalProblem(): Promise<CliError | null> {
    const journal = await this.journalStore()
    if (journal === null || journal instanceof CliError) return journal
    return this.journalWrite(journal.location, () => journal.probe())
  }

  /** Appends lines; returns the first line's id (null with --no-journal), or the error that kept them out. */
  private async journal(lines: JournalLine[]): Promise<string | null | CliError> {
    const journal = await this.journalStore()
    if (journal === null || journal instanceof CliError) return journal
    const failed = await this.journalWrite(journal.location, async () => {
      // A team journal records who made each change: its entries come from many people.
      const by = await journal.author()
      await journal.append(by ? lines.map((line) => (line.type === 'intent' ? { ...line, by } : line)) : lines)
    })
    return failed ?? lines[0]?.id ?? null
  }

  /** The run's state store (the journal and the locks); a team store that cannot be opened is the error that says why. */
  private async store(): Promise<StateStore> {
    return stateStoreOf(this.ctx, this.globals, this.log)
  }

  /** The journal; null with --no-journal; an error when there is nowhere to journal or the store cannot be opened. */
  private async journalStore(): Promise<JournalStore | null | CliError> {
    try {
      const store = await this.store()
      if (store.journal) return store.journal
      return store.journalOff ? null : new AccessError('there is no journal location, so the change cannot be recorded', JOURNAL_HINT)
    } catch (error) {
      if (error instanceof CliError) return error
      throw error
    }
  }

  private async journalWrite(path: string, write: () => Promise<void>): Promise<CliError | null> {
    try {
      await write()
      return null
    } catch (error) {
      if (error instanceof CliError) return error
      if (!isFileSystemError(error)) throw error
      return new AccessError(`cannot write the journal ${path}: ${error.message}`, JOURNAL_HINT)
    }
  }

  private async lock(w: WritePlace, abandon?: AbortSignal): Promise<Release | undefined> {
    const waitMs = lockWaitMs(this.ctx.env)
    // The lock serialises processes that share one KMS; an in-memory KMS belongs to one process.
    if (this.globals.endpointUrl === MEMORY_ENDPOINT) return undefined
    // A team store (S3) out of reach or refusing: the lock cannot be taken, so nothing is sent.
    const store = await this.store().catch((error: unknown) => {
      throw error instanceof CliError ? lockFailure(w, error) : error
    })
    // Ctrl-C ends a wait for another run's lock at once, as it ends every other wait of the run.
    const signal = abandon ? AbortSignal.any([this.ctx.signal, abandon]) : this.ctx.signal
    try {
      return await store.lock({ alias: w.alias, region: w.region, account: w.account }, { waitMs, signal })
    } catch (error) {
      if (this.ctx.signal.aborted) throw interruption(this.ctx)
      throw store.team && error instanceof CliError ? lockFailure(w, error) : error
    }
  }
}

/** Who held the lock a run waited for in vain: a team lock names its holder (who, where); a local one its process. */
function lockHolder(error: LockTimeoutError): string {
  if (error.description) return `another kms-alias run (${error.description})`
  return `another kms-alias run on this machine${error.holder?.pid ? ` (process ${error.holder.pid})` : ''}`
}

/**
 * The error of a change not made because its intent could not be recorded first. Refusals of the
 * journal itself (not a regular file, another user's) and a team journal's S3 out of reach say
 * that nothing was changed; a write that failed otherwise says what it left.
 */
function journalRefusal(recorded: CliError): CliError {
  if (recorded instanceof AccessError) return new AccessError(`${recorded.message}; nothing was changed`, recorded.hint)
  if (recorded instanceof AwsError) return new AwsError(`${recorded.message}; nothing was changed`, recorded.awsCode, recorded.hint)
  return recorded
}

const JOURNAL_HINT = 'free space or fix the permissions, pass --journal <path> to record elsewhere, or --no-journal to change without a record'
const LOCK_HINT = 'free space or fix the permissions of the lock directory, or set XDG_STATE_HOME to a directory of yours'


/** Where the alias locks live (moved to store.ts with the local store). */
export { lockDirectory } from './store.js'

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string'
}

/** The error an interrupting signal stands for (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function interruption(ctx: Context): InterruptedError {
  return interruptedBy(ctx.signal)
}

/**
 * The CliError a failure stands for; anything else is a bug and is thrown on. Ctrl-C surfaces as
 * whatever was waiting at the time (a sleep, a socket): all of those mean "interrupted". The one
 * place that decides whether a failure is an interruption.
 */
export function failureOf(ctx: Context, error: unknown): CliError {
  if (ctx.signal.aborted && (!(error instanceof CliError) || error instanceof InterruptedError)) return interruption(ctx)
  if (!(error instanceof CliError)) throw error
  return error
}

/** A lock that could not be taken (a team journal's bucket out of reach, or refusing): what it means for the alias. */
function lockFailure(w: WritePlace, error: CliError): CliError {
  if (error instanceof InterruptedError) return error
  const message = `cannot take the lock for ${w.alias}: ${error.message}; nothing was changed`
  if (error instanceof AwsError) return new AwsError(message, error.awsCode, error.hint)
  if (error instanceof AccessError) return new AccessError(message, error.hint)
  return error
}

/** A team lock taken over while this run held it (its lease was judged run out): the call is not sent. */
function lockLostError(subject: string, loss: LockLoss): ConflictError {
  const message = loss.takenBy
    ? `the lock on ${subject} was taken over by ${loss.takenBy}; nothing was sent`
    : `the lock on ${subject} could not be renewed before its lease ran out, so another run may hold it; nothing was sent`
  return new ConflictError(message, 'see what the other run did (kms-alias history), then plan again; a longer KMS_ALIAS_LOCK_LEASE keeps a slow run its lock')
}

function conflict(seen: string | undefined | null, error: CliError): WriteOutcome {
  return { status: 'conflict', changed: false, seen, journalId: null, error }
}

function movedError(w: PlannedWrite, seen: string | undefined, team: boolean): ConflictError {
  const now = seen === undefined ? 'does not exist' : `points to ${seen}`
  const planned = w.expected === undefined ? 'did not exist' : `pointed to ${w.expected}`
  // A kms-alias run of the team journals its change (with who made it) before sending it, so the
  // newest entry names that writer; a writer outside kms-alias (the console) is not in it.
  const hint = team
    ? `kms-alias history ${w.alias} shows who, if it was a kms-alias run (the newest entry); else find out who else changes this alias, then plan again`
    : 'find out who else changes this alias, then plan again'
  return new ConflictError(`${w.alias} ${now}, but when this run planned the change it ${planned}: another writer changed it; nothing was changed`, hint)
}

function withObservation(failure: CliError, w: PlannedWrite, changed: boolean | null, readable: boolean): CliError {
  if (!(failure instanceof AwsError)) return failure
  const observed = !readable
    ? 're-reading the alias failed too'
    : changed === false
      ? w.expected === undefined
        ? `${w.alias} still does not exist (unchanged)`
        : `${w.alias} points to ${w.expected} (unchanged)`
      : `it could not be told whether ${w.alias} changed`
  return new AwsError(`${failure.message}; ${observed}`, failure.awsCode, failure.hint)
}
