// The write steps of a run's items, shared by every command: the call that makes a move, and the
// guarded rollback that undoes one this run made. Each returns the write path's outcome value; the
// command's finisher decides what it means for its report and exit code.
import { ConflictError, NotFoundError } from '../errors.js'
import type { KmsPort } from '../kms/port.js'
import type { PlannedWrite, WriteOrigin, WriteOutcome, Writer } from './writePath.js'

export type MoveAction = 'create' | 'update' | 'delete'

/** The call that moves `alias` to `wanted` (undefined: deletes it), and what a retry of it answers. */
export function moveCall(kms: KmsPort, action: MoveAction, alias: string, wanted: string | undefined): Pick<PlannedWrite, 'send' | 'retryAnswers'> {
  switch (action) {
    case 'create':
      // A retried CreateAlias whose first try worked is answered with AlreadyExists.
      return { send: () => kms.createAlias(alias, wanted as string), retryAnswers: (e) => e instanceof ConflictError }
    case 'delete':
      // A retried DeleteAlias whose first try worked is answered with NotFound.
      return { send: () => kms.deleteAlias(alias), retryAnswers: (e) => e instanceof NotFoundError }
    case 'update':
      return { send: () => kms.updateAlias(alias, wanted as string) }
  }
}

/** One move as this run made it: where the alias was (`before`) and where the run left it (`after`). */
export interface MadeMove {
  action: MoveAction
  alias: string
  region: string
  account: string | null
  before: string | undefined
  after: string | undefined
}

/**
 * Puts a move this run made back, only while the alias is still where the run left it: the write
 * path's guard makes a later writer's change a conflict, never overwritten.
 */
export function rollBack(writer: Writer, kms: KmsPort, move: MadeMove, origin: WriteOrigin): Promise<WriteOutcome> {
  const action: MoveAction = move.action === 'create' ? 'delete' : move.action === 'delete' ? 'create' : 'update'
  return writer.write({
    action,
    alias: move.alias,
    region: move.region,
    account: move.account,
    expected: move.after,
    wanted: move.before,
    origin,
    restores: true,
    ...moveCall(kms, action, move.alias, move.before),
  })
}
