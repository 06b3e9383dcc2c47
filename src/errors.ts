/** Exit codes: the contract documented in the README. */
export const Exit = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  Refused: 3,
  NotFound: 4,
  Conflict: 5,
  NotConfirmed: 6,
  Access: 7,
  Aws: 8,
  /** The change was made and confirmed, but the use probe through the alias failed; it was rolled back. */
  UseFailed: 9,
  /** SIGHUP: the terminal went away. */
  HangUp: 129,
  /** SIGINT (Ctrl-C), or a prompt declined. */
  Interrupted: 130,
  /** SIGTERM. */
  Terminated: 143,
} as const
export type ExitCode = (typeof Exit)[keyof typeof Exit]

/** Stable machine-readable names for the exit codes, used in JSON `error.code`. */
export const exitCodeNames: Record<ExitCode, string> = {
  0: 'OK',
  1: 'INTERNAL',
  2: 'USAGE',
  3: 'REFUSED',
  4: 'NOT_FOUND',
  5: 'CONFLICT',
  6: 'NOT_CONFIRMED',
  7: 'ACCESS',
  8: 'AWS',
  9: 'USE_FAILED',
  129: 'HANGUP',
  130: 'INTERRUPTED',
  143: 'TERMINATED',
}

/** An expected failure: its message is for the user, its exit code is part of the contract. */
export class CliError extends Error {
  /** The error name AWS answered with (AccessDeniedException, DisabledException, ...), whatever the exit code; set by translateError. */
  awsCode?: string | undefined
  /**
   * The role whose AssumeRole failed (denied, STS unreachable): no credentials to call with, which
   * says nothing about the call that needed them.
   */
  assumingRole?: string | undefined

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.Usage, hint)
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.NotFound, hint)
  }
}

export class AccessError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.Access, hint)
  }
}

/** The state is not what the caller said or assumed (for example the alias already exists). */
export class ConflictError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.Conflict, hint)
  }
}

/** KMS or the network failed after the SDK's retries. */
export class AwsError extends CliError {
  constructor(
    message: string,
    override readonly awsCode?: string,
    hint?: string,
  ) {
    super(message, Exit.Aws, hint)
  }
}

/** The change was made and confirmed, but using the alias afterwards failed (the use probe): exit 9. */
export class UseFailedError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.UseFailed, hint)
  }
}

/** KMS itself refused the request (for example KMSInvalidStateException). */
export class KmsRefusedError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, Exit.Refused, hint)
  }
}

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

const SIGNAL_EXIT: Record<StopSignal, ExitCode> = { SIGINT: Exit.Interrupted, SIGTERM: Exit.Terminated, SIGHUP: Exit.HangUp }

/** A run stopped by a signal; the exit code is 128 + the signal's number, as shells report it. */
export class InterruptedError extends CliError {
  constructor(
    readonly signal: StopSignal = 'SIGINT',
    message = signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`,
  ) {
    super(message, SIGNAL_EXIT[signal])
  }
}

/** The error that stands for the signal that aborted `signal` (the Context aborts with one). */
export function interruptedBy(signal: AbortSignal | undefined): InterruptedError {
  const reason: unknown = signal?.reason
  return reason instanceof InterruptedError ? reason : new InterruptedError()
}
