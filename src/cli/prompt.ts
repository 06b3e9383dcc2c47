import { createInterface } from 'node:readline/promises'
import { InterruptedError, interruptedBy } from '../errors.js'
import type { IO } from './context.js'
import { escapeComposed } from '../output/escape.js'

export interface Prompter {
  /** Asks a yes/no question; only "y" or "yes" is a yes. */
  confirm(question: string): Promise<boolean>
  /** Makes the user type `expected` exactly, for changes that are hard to take back. */
  confirmByName(question: string, expected: string): Promise<boolean>
}

const END_OF_INPUT = 'no answer at the prompt (end of input)'

export function createPrompter(io: IO, signal: AbortSignal): Prompter {
  async function ask(question: string): Promise<string> {
    const rl = createInterface({ input: io.in, output: io.err, terminal: io.stdinTTY })
    let settled = false
    let endOfInput = false
    try {
      // In terminal mode readline swallows Ctrl-C as a key press; it must still interrupt.
      const interrupted = new Promise<never>((_, reject) =>
        rl.once('SIGINT', () => {
          io.err.write('\n')
          reject(interruptedBy(signal))
        }),
      )
      // Ctrl-D (or a closed stdin) closes readline: on a terminal the question then rejects, off
      // one it would wait forever. Either way the prompt's line is ended before the error.
      const closed = new Promise<never>((_, reject) =>
        rl.once('close', () => {
          if (settled) return
          endOfInput = true
          reject(new InterruptedError('SIGINT', END_OF_INPUT))
        }),
      )
      // A question names aliases and keys: escaped as every other line on stderr (output/escape.ts).
      return await Promise.race([rl.question(escapeComposed(question), { signal }), interrupted, closed])
    } catch (error) {
      if (signal.aborted) throw interruptedBy(signal)
      if (endOfInput) {
        io.err.write('\n')
        throw new InterruptedError('SIGINT', END_OF_INPUT)
      }
      if ((error as Error).name === 'AbortError') throw interruptedBy(signal)
      throw error
    } finally {
      settled = true
      rl.close()
    }
  }
  return {
    async confirm(question) {
      return /^(y|yes)$/i.test((await ask(`${question} [y/N] `)).trim())
    },
    async confirmByName(question, expected) {
      return (await ask(`${question} `)).trim() === expected
    },
  }
}
