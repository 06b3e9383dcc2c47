import type { Writable } from 'node:stream'

export interface Spinner {
  text(text: string): void
  succeed(text: string): void
  fail(text: string): void
  stop(): void
}

/** ora costs ~170 ms to import, so it is loaded only when a spinner is really shown. */
export async function createOraSpinner(stream: Writable, text: string, options: { color: boolean }): Promise<Spinner> {
  const { default: ora } = await import('ora')
  const spinner = ora({ text, stream, isEnabled: true, discardStdin: false, ...(options.color ? {} : { color: false }) }).start()
  return {
    text: (t) => {
      spinner.text = t
    },
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  }
}

/** The no-op used whenever a spinner must not be shown (not a TTY, --quiet, --json). */
export const silentSpinner: Spinner = { text() {}, succeed() {}, fail() {}, stop() {} }
