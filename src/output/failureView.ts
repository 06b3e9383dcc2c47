// The JSON document of a read-only command that failed. Scripts reading --json get a document on
// stdout whatever happened, as update, create and delete give one; the message stays on stderr too.
import { CliError, Exit, InterruptedError, interruptedBy } from '../errors.js'
import { errorSummary, type ErrorSummary, type Ui } from './ui.js'

export interface FailureDocument {
  error: ErrorSummary
  exitCode: number
}

export function toFailureDocument(error: unknown): FailureDocument {
  return { error: errorSummary(error), exitCode: error instanceof CliError ? error.exitCode : Exit.Internal }
}

export const renderFailureJson = (error: unknown): string => `${JSON.stringify(toFailureDocument(error), null, 2)}\n`

/**
 * Runs `work`; when it throws under --json, writes the failure document first and throws on. After a
 * signal, whatever was waiting (a socket, a sleep) failed because of it: the signal is the failure.
 */
export async function withFailureDocument(ui: Ui, signal: AbortSignal, work: () => Promise<number>): Promise<number> {
  try {
    return await work()
  } catch (error) {
    const failure = signal.aborted && (error instanceof InterruptedError || !(error instanceof CliError)) ? interruptedBy(signal) : error
    if (ui.format === 'json') ui.write(renderFailureJson(failure))
    throw failure
  }
}
