import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import type { Context } from '../../src/cli/context.js'
import type { IamConfig, IamPort } from '../../src/iam/port.js'
import type { CloudTrailConfig, CloudTrailPort } from '../../src/cloudtrail/port.js'
import type { KmsConfig, KmsPort } from '../../src/kms/port.js'
import type { S3Config } from '../../src/s3/port.js'
import type { Spinner } from '../../src/output/spinner.js'

class Capture extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString()
    done()
  }
}

export interface TestContextOptions {
  /** The port every kms() call gets, or a function choosing one per config (e.g. per Region). */
  kms?: KmsPort | ((config: KmsConfig) => KmsPort)
  /** The IAM port --iam gets. */
  iam?: IamPort
  /** The CloudTrail port (usage, retire, --callers), or a function of its config (which carries the run's clock). */
  cloudtrail?: CloudTrailPort | ((config: CloudTrailConfig) => CloudTrailPort)
  /** Sets stdin, stdout and stderr TTY flags together; each can be overridden. */
  tty?: boolean
  stdinTTY?: boolean
  stdoutTTY?: boolean
  stderrTTY?: boolean
  /** Whether stderr could show a spinner; defaults to stderrTTY. */
  stderrAnimates?: boolean
  /** The terminal width stdout reports (only where a test sets it). */
  columns?: number
  env?: Record<string, string | undefined>
  /** Answers given, in order, to prompts; a prompt with none left fails the test. */
  answers?: string[]
  /** Runs while a prompt is open (before it is answered), e.g. another writer acting meanwhile. */
  onPrompt?: () => void
  start?: Date
  /** What stdin holds (it is closed after it). */
  stdin?: string
  /** Journal file; by default a fresh one in a temporary folder. */
  journal?: string
}

/** A journal path of its own for each test context, so no test sees another's entries. */
export function defaultJournal(): string {
  return join(mkdtempSync(join(tmpdir(), 'kms-alias-journal-')), 'journal.jsonl')
}

export interface TestContext extends Context {
  stdout(): string
  stderr(): string
  prompts: string[]
  spinners: string[]
  kmsConfigs: KmsConfig[]
  iamConfigs: IamConfig[]
  trailConfigs: CloudTrailConfig[]
  abort(): void
}

/** A Context over buffers, a scripted prompter, a fake clock whose sleep advances time. */
export function testContext(options: TestContextOptions = {}): TestContext {
  const out = new Capture()
  const err = new Capture()
  const tty = options.tty ?? false
  let now = (options.start ?? new Date('2026-11-29T00:00:00Z')).getTime()
  const answers = [...(options.answers ?? [])]
  const prompts: string[] = []
  const spinners: string[] = []
  const kmsConfigs: KmsConfig[] = []
  const iamConfigs: IamConfig[] = []
  const trailConfigs: CloudTrailConfig[] = []
  const interrupt = new AbortController()
  const answer = (question: string) => {
    prompts.push(question)
    options.onPrompt?.()
    const next = answers.shift()
    if (next === undefined) throw new Error(`unexpected prompt: ${question}`)
    return next
  }
  const recordingSpinner = (text: string): Spinner => {
    spinners.push(text)
    return { text: (t) => void spinners.push(t), succeed() {}, fail() {}, stop() {} }
  }
  const journal = options.journal ?? defaultJournal()
  const stdin = new PassThrough()
  if (options.stdin !== undefined) stdin.end(options.stdin)
  return {
    io: {
      in: stdin,
      out,
      err,
      stdinTTY: options.stdinTTY ?? tty,
      stdoutTTY: options.stdoutTTY ?? tty,
      stderrTTY: options.stderrTTY ?? tty,
      stderrAnimates: options.stderrAnimates ?? options.stderrTTY ?? tty,
      ...(options.columns === undefined ? {} : { stdoutColumns: options.columns }),
    },
    // The state directory (alias locks) of its own too, so that tests never wait on each other.
    env: { KMS_ALIAS_JOURNAL: journal, XDG_STATE_HOME: dirname(journal), ...options.env },
    platform: 'linux',
    async kms(config) {
      kmsConfigs.push(config)
      if (!options.kms) throw new Error('this test gave no KMS port')
      return typeof options.kms === 'function' ? options.kms(config) : options.kms
    },
    async iam(config) {
      iamConfigs.push(config)
      if (!options.iam) throw new Error('this test gave no IAM port')
      return options.iam
    },
    // A team journal (--journal s3://…) in a test is moto's S3, reached by the real adapter.
    async s3(config: S3Config) {
      const { createS3Port } = await import('../../src/s3/client.js')
      return createS3Port(config)
    },
    async cloudtrail(config) {
      trailConfigs.push(config)
      if (!options.cloudtrail) throw new Error('this test gave no CloudTrail port')
      return typeof options.cloudtrail === 'function' ? options.cloudtrail(config) : options.cloudtrail
    },
    prompt: {
      confirm: async (question) => /^(y|yes)$/i.test(answer(question)),
      confirmByName: async (question, expected) => answer(question) === expected,
    },
    spinner: async (text) => recordingSpinner(text),
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms
    },
    signal: interrupt.signal,
    stdout: () => out.text,
    stderr: () => err.text,
    prompts,
    spinners,
    kmsConfigs,
    iamConfigs,
    trailConfigs,
    abort: () => interrupt.abort(),
  }
}
