import { setMaxListeners } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import type { KmsConfig, KmsPort } from './kms/port.js'
import { createPrompter, type Prompter } from './ui/prompt.js'
import { createOraSpinner, type Spinner } from './ui/spinner.js'

export interface IO {
  in: Readable
  out: Writable
  err: Writable
  stdinTTY: boolean
  stdoutTTY: boolean
  stderrTTY: boolean
  /** The terminal's width when stdout is one; tables fit it. */
  stdoutColumns?: number
}

/** Everything a command may touch of the outside world. Commands get nothing else. */
export interface Context {
  io: IO
  env: Readonly<Record<string, string | undefined>>
  platform: NodeJS.Platform
  /** Builds the KMS port on first use, so --help and usage errors never load the SDK. */
  kms: (config: KmsConfig) => Promise<KmsPort>
  prompt: Prompter
  /** Starts a spinner on stderr; only called when stderr is a TTY and the human view is on. */
  spinner: (text: string) => Promise<Spinner>
  now: () => Date
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Aborted on SIGINT. */
  signal: AbortSignal
}

export function createContext(proc: NodeJS.Process = process): Context {
  const interrupt = new AbortController()
  // Every KMS call in flight listens on this one signal; apply and list keep many in flight, and
  // Node would warn on stderr past ten listeners.
  setMaxListeners(0, interrupt.signal)
  proc.on('SIGINT', () => {
    // A second Ctrl-C means the user no longer wants a clean report.
    if (interrupt.signal.aborted) proc.exit(130)
    interrupt.abort()
  })
  // A reader that goes away (`kms-alias … | head`) must not crash a run that may be mid-change:
  // later writes are dropped and the command finishes what it started.
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
    })
  }
  const io: IO = {
    in: proc.stdin,
    out: proc.stdout,
    err: proc.stderr,
    stdinTTY: proc.stdin.isTTY === true,
    stdoutTTY: proc.stdout.isTTY === true,
    stderrTTY: proc.stderr.isTTY === true,
    ...(proc.stdout.isTTY && proc.stdout.columns > 0 ? { stdoutColumns: proc.stdout.columns } : {}),
  }
  return {
    io,
    env: proc.env,
    platform: proc.platform,
    async kms(config) {
      // The SDK warns on Node 20 (its later releases need 22) straight onto stderr; our stderr
      // carries only our messages. The README states the supported Node versions instead.
      proc.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
      // The client's `profile` option reaches the Region and the credentials, but the SDK's endpoint
      // lookup (endpoint_url, a services section) reads AWS_PROFILE only (@smithy/core
      // getEndpointFromConfig). Setting it makes --profile resolve everything as AWS_PROFILE does.
      if (config.profile) proc.env.AWS_PROFILE = config.profile
      const { createKmsPort } = await import('./kms/client.js')
      return createKmsPort(config)
    },
    prompt: createPrompter(io, interrupt.signal),
    spinner: (text) => createOraSpinner(io.err, text),
    now: () => new Date(),
    sleep,
    signal: interrupt.signal,
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
