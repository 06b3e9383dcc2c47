import { createInterface } from 'node:readline/promises'
import { interruptedBy } from '../errors.js'
import type { IO } from '../context.js'

export interface Prompter {
  /** Asks a yes/no question; only "y" or "yes" is a yes. */
  confirm(question: string): Promise<boolean>
  /** Makes the user type `expected` exactly, for changes that are hard to take back. */
  confirmByName(question: string, expected: string): Promise<boolean>
}

export function createPrompter(io: IO, signal: AbortSignal): Prompter {
  async function ask(question: string): Promise<string> {
    const rl = createInterface({ input: io.in, output: io.err, terminal: io.stdinTTY })
    try {
      // In terminal mode readline swallows Ctrl-C as a key press; it must still interrupt.
      const interrupted = new Promise<never>((_, reject) =>
        rl.once('SIGINT', () => {
          io.err.write('\n')
          reject(interruptedBy(signal))
        }),
      )
      return await Promise.race([rl.question(question, { signal }), interrupted])
    } catch (error) {
      if (signal.aborted || (error as Error).name === 'AbortError') throw interruptedBy(signal)
      throw error
    } finally {
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
