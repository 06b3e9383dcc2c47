import { setMaxListeners } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { InterruptedError } from '../errors.js'
import type { IamConfig, IamPort } from '../iam/port.js'
import type { CloudTrailConfig, CloudTrailPort } from '../cloudtrail/port.js'
import { MEMORY_ENDPOINT, type AwsSettings, type KmsConfig, type KmsPort } from '../kms/port.js'
import type { MemoryKmsStore } from '../kms/memory.js'
import type { S3Config, S3Port } from '../s3/port.js'
import { createPrompter, type Prompter } from './prompt.js'
import { createOraSpinner, type Spinner } from '../output/spinner.js'

export interface IO {
  in: Readable
  out: Writable
  err: Writable
  stdinTTY: boolean
  stdoutTTY: boolean
  stderrTTY: boolean
  /** Whether stderr can show a spinner: a terminal that reports a size and allows cursor control. */
  stderrAnimates: boolean
  /** The terminal's width when stdout is one; tables fit it. */
  stdoutColumns?: number
}

/** Everything a command may touch of the outside world. Commands get nothing else. */
export interface Context {
  io: IO
  env: Readonly<Record<string, string | undefined>>
  platform: NodeJS.Platform
  /**
   * Loads the SDK and builds a KMS port, so --help and usage errors never load it. Commands do not
   * call it: they ask their run's Session (src/cli/session.ts), which resolves the settings once.
   */
  kms: (config: KmsConfig) => Promise<KmsPort>
  /** Loads the IAM SDK and builds the IAM port; only the Session of an --iam run calls it. */
  iam: (config: IamConfig) => Promise<IamPort>
  /** Loads the S3 SDK and opens a team journal's bucket; only the Session of an s3:// journal calls it. */
  s3: (config: S3Config) => Promise<S3Port>
  /** Loads the CloudTrail SDK (or the in-memory trail) and builds the port; only the Session calls it (usage, retire, --callers). */
  cloudtrail: (config: CloudTrailConfig) => Promise<CloudTrailPort>
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
  // SIGTERM (a CI job cancelled, `timeout`) and SIGHUP (the terminal closed) stop a run like the
  // first Ctrl-C: stop waiting, finish the journal, print what is known, exit 128 + the signal.
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    proc.on(name, () => {
      // A second signal means the user no longer wants a clean report.
      if (interrupt.signal.aborted) proc.exit(new InterruptedError(name).exitCode)
      interrupt.abort(new InterruptedError(name))
    })
  }
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
    stderrAnimates: canAnimate(proc.stderr, proc.env),
    ...(proc.stdout.isTTY && proc.stdout.columns > 0 ? { stdoutColumns: proc.stdout.columns } : {}),
  }
  // `--endpoint-url memory:`: one in-memory KMS for the whole process, so that the commands the demo
  // runs one after the other see each other's keys and aliases; it dies with the process.
  let memory: MemoryKmsStore | undefined
  /** What the process environment must say before any SDK client is built. */
  const prepareSdk = (settings: AwsSettings) => {
    // The SDK warns on Node 20 (its later releases need 22) straight onto stderr; our stderr
    // carries only our messages. The README states the supported Node versions instead.
    proc.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    // The client's `profile` option reaches the Region and the credentials, but the SDK's endpoint
    // lookup (endpoint_url, a services section) reads AWS_PROFILE only (@smithy/core
    // getEndpointFromConfig). Setting it makes --profile resolve everything as AWS_PROFILE does.
    if (settings.profile) proc.env.AWS_PROFILE = settings.profile
  }
  return {
    io,
    env: proc.env,
    platform: proc.platform,
    async kms(config) {
      if (config.endpointUrl === MEMORY_ENDPOINT) {
        const { createMemoryKms, MemoryKmsStore } = await import('../kms/memory.js')
        memory ??= new MemoryKmsStore()
        return createMemoryKms(memory, config)
      }
      prepareSdk(config)
      const { createKmsPort } = await import('../kms/client.js')
      return createKmsPort(config)
    },
    async iam(config) {
      prepareSdk(config)
      const { createIamPort } = await import('../iam/client.js')
      return createIamPort(config)
    },
    async s3(config) {
      prepareSdk(config)
      const { createS3Port } = await import('../s3/client.js')
      return createS3Port(config)
    },
    async cloudtrail(config) {
      if (config.inMemory) {
        // The trail of the same in-memory KMS the run's KMS port works on.
        const [{ MemoryKmsStore }, { createMemoryCloudTrail }] = await Promise.all([import('../kms/memory.js'), import('../cloudtrail/memory.js')])
        memory ??= new MemoryKmsStore()
        return createMemoryCloudTrail(memory.trail, config)
      }
      prepareSdk(config)
      const { createCloudTrailPort } = await import('../cloudtrail/client.js')
      return createCloudTrailPort(config)
    },
    prompt: createPrompter(io, interrupt.signal),
    spinner: (text) => createOraSpinner(io.err, text, { color: !proc.env.NO_COLOR }),
    now: () => new Date(),
    sleep,
    signal: interrupt.signal,
  }
}

/**
 * A spinner rewrites its line with cursor movements sized by the terminal's width. A pty that
 * reports 0 columns (`script`, expect-style CI harnesses) made ora loop forever writing cursor-up
 * sequences; TERM=dumb has no cursor control; KMS_ALIAS_NO_SPINNER=1 opts out.
 */
export function canAnimate(stream: { isTTY?: boolean; columns?: number }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (stream.isTTY !== true || env.TERM === 'dumb') return false
  if (env.KMS_ALIAS_NO_SPINNER && env.KMS_ALIAS_NO_SPINNER !== '0') return false
  return typeof stream.columns === 'number' && stream.columns > 0
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
