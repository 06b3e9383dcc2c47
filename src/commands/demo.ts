// `kms-alias demo`: a guided tour on the in-memory KMS of this process. Each step runs a real
// command through main() with this same Context (and so the same in-memory KMS), exactly as typed
// by a user, so the tour cannot drift from the commands it shows.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { Context } from '../cli/context.js'
import { CliError, Exit, interruptedBy, UsageError } from '../errors.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { currentTarget } from '../kms/lookups.js'
import { MEMORY_ENDPOINT, type KeyInfo, type KmsPort } from '../kms/port.js'
import { toKeyView } from '../output/keyView.js'
import { shellCommand } from '../output/shell.js'
import { renderTable } from '../output/table.js'
import { createUi, errorSummary, type ErrorSummary, type Ui } from '../output/ui.js'
import { canAsk, failureOf } from '../engine/run.js'
import { sessionOf, type Session } from '../cli/session.js'

export interface DemoOptions {
  /** Wait for Enter before each step after the first (on a terminal). */
  step: boolean
}

/** One step as the JSON view reports it; `output` is the command's own JSON document. */
interface StepReport {
  step: number
  title: string
  command: string | null
  exitCode: number
  output: unknown
}

interface DemoKey {
  label: string
  spec: string
  usage: string
  disabled?: boolean
  alias?: string
}

// The keys of the tour: the two RSA signing keys make the unsafe repoint, the two symmetric ones
// the safe repoint; the disabled one shows that list reports key state.
const KEYS: readonly DemoKey[] = [
  { label: 'release signing key', spec: 'RSA_4096', usage: 'SIGN_VERIFY', alias: 'alias/demo/signing' },
  { label: 'smaller signing key', spec: 'RSA_2048', usage: 'SIGN_VERIFY' },
  { label: 'payments key 2026', spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', alias: 'alias/demo/payments' },
  { label: 'payments key 2027', spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', alias: 'alias/demo/payments-next' },
  { label: 'retired key', spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', disabled: true, alias: 'alias/demo/retired' },
]
// Issue 21's act (usage and retire) is steps 7 to 11; issue 23's audit step 12; issue 20's use probe
// after a change, rolled back by itself, step 13 (after the audit, so that it sees the store as before).
const STEPS = 13

/** Runs the tour; exit 0 when every step ended as the tour expects. */
export async function runDemo(options: DemoOptions, ctx: Context, globals: GlobalOptions): Promise<number> {
  if (globals.endpointUrl !== undefined && globals.endpointUrl !== MEMORY_ENDPOINT) {
    throw new UsageError(`the demo runs only on the in-memory KMS, not on ${globals.endpointUrl}`, 'drop --endpoint-url')
  }
  // A demo entry in the real journal would be what `kms-alias undo --last` reverts next, in AWS.
  if (typeof globals.journal === 'string')
    throw new UsageError('the demo keeps its journal in a temporary file of its own', 'drop --journal (or pass --no-journal)')
  const where: GlobalOptions = { ...globals, endpointUrl: MEMORY_ENDPOINT }
  const ui = createUi(ctx, where)
  const journalDir = globals.journal === false ? undefined : await mkdtemp(join(tmpdir(), 'kms-alias-demo-'))
  try {
    const tour = new Tour(ctx, ui, sessionOf(ctx, where, ui), where, options, journalDir === undefined ? false : join(journalDir, 'journal.jsonl'))
    return await tour.run()
  } finally {
    if (journalDir !== undefined) await rm(journalDir, { recursive: true, force: true })
  }
}

class Tour {
  private readonly steps: StepReport[] = []
  private region: string | null = null
  private stepWarned = false

  constructor(
    private readonly ctx: Context,
    private readonly ui: Ui,
    private readonly session: Session,
    private readonly globals: GlobalOptions,
    private readonly options: DemoOptions,
    private readonly journal: string | false,
  ) {}

  /** Runs the steps; the JSON view gets its one document even when a step fails or Ctrl-C stops it. */
  async run(): Promise<number> {
    try {
      await this.tour()
    } catch (error) {
      const failure = failureOf(this.ctx, error)
      if (this.ui.format === 'json') this.ui.write(this.document(failure.exitCode, errorSummary(failure)))
      throw failure
    }
    if (this.ui.format === 'json') this.ui.write(this.document(Exit.Ok, null))
    return Exit.Ok
  }

  private document(exitCode: number, error: ErrorSummary | null): string {
    return `${JSON.stringify({ region: this.region, endpointUrl: MEMORY_ENDPOINT, steps: this.steps, exitCode, error }, null, 2)}\n`
  }

  private async tour(): Promise<void> {
    const kms = await this.session.kms()
    const region = await kms.region()
    this.region = region
    this.ui.note(this.ui.err.bold(`kms-alias demo: a tour on an in-memory KMS in ${region}. Nothing here reaches AWS, and nothing is kept after this process.`))
    this.ui.note(
      this.ui.err.dim(
        `Every command below runs with --endpoint-url ${MEMORY_ENDPOINT} and ${this.journal === false ? '--no-journal' : 'a temporary journal'}.`,
      ),
    )

    const setup =
      'First, the demo creates five keys in the in-memory KMS (RSA_4096 and RSA_2048 signing keys, two symmetric keys and a disabled one) and puts aliases on four of them.'
    await this.introduce(1, setup, null)
    const keys = await createKeys(kms)
    this.showKeys(keys)
    this.record(1, setup, null, Exit.Ok, { keys: keys.map(({ key, alias, label }) => ({ ...toKeyView(key), description: label, alias: alias ?? null })) })

    await this.command(2, '`list` shows every alias with the spec, usage, state and manager of its key.', ['list'], Exit.Ok)

    const signing = keyOf(keys, 'RSA_4096')
    const smaller = keyOf(keys, 'RSA_2048')
    await this.command(
      3,
      'Moving alias/demo/signing from the RSA_4096 key to the RSA_2048 key is a change KMS itself accepts, but every signature made through the alias would change, so the preflight refuses it.',
      ['update', 'alias/demo/signing', '--to', smaller.keyId, '--yes'],
      Exit.Refused,
    )
    // The refusal is only worth showing if it held: read the alias back.
    const still = await currentTarget(kms, 'alias/demo/signing')
    if (still !== signing.keyId)
      throw new CliError(
        `after the refused update alias/demo/signing points to ${still ?? 'nothing'}, not ${signing.keyId}`,
        Exit.Internal,
        'this is a bug in kms-alias',
      )
    // The table view of update says so itself.
    if (this.ui.format !== 'table') this.ui.note(`alias/demo/signing still points to ${still} (RSA_4096): nothing was changed.`)

    await this.command(
      4,
      'Moving alias/demo/payments to the next symmetric key is safe, so kms-alias makes the change, confirms it with ListAliases and records how to undo it.',
      ['update', 'alias/demo/payments', '--to', 'alias/demo/payments-next', '--yes'],
      Exit.Ok,
    )
    if (this.ui.format !== 'text') this.ui.note(this.ui.err.dim('(That undo command works only inside this demo: the in-memory KMS ends with it.)'))

    if (this.journal === false) {
      const previous = aliasKey(keys, 'alias/demo/payments')
      const next = aliasKey(keys, 'alias/demo/payments-next')
      const skipped = 'With --no-journal there is no history to show, so the demo skips `history`.'
      await this.introduce(5, skipped, null)
      this.record(5, skipped, null, Exit.Ok, null)
      await this.command(
        6,
        'Without a journal, the demo runs the undo command of step 4 itself: back to the old key, only if the alias still points to the new one.',
        ['update', 'alias/demo/payments', '--to', previous.keyId, '--expect-current', next.keyId, '--yes'],
        Exit.Ok,
      )
    } else {
      await this.command(5, '`history` lists the changes kms-alias made, newest first, from its journal.', ['history'], Exit.Ok)
      await this.command(
        6,
        '`undo` reverts the last change through the same preflight, and only if the alias has not moved since.',
        ['undo', '--last', '--yes'],
        Exit.Ok,
      )
    }

    await this.usageAct(kms, keys, 7)

    // issue 23: the tour ends with an audit of its own store.
    await this.command(
      12,
      '`audit` reads every alias, describes each key once and reports the aliases that will break: alias/demo/retired points to a disabled key, an error, so it exits 3 as a scheduled CI job would fail.',
      ['audit'],
      Exit.Refused,
    )

    // The last act: the use probe after a change. Another team disables the new key just as the
    // alias moves to it (the in-memory KMS then answers DisabledException, as KMS would), so using
    // the alias fails after the change, and kms-alias puts it back by itself.
    const payments = aliasKey(keys, 'alias/demo/payments')
    const next = aliasKey(keys, 'alias/demo/payments-next')
    await this.command(
      13,
      'After a change kms-alias uses the alias as its callers would (here Encrypt and Decrypt). In this act another team disables the new key just as the alias moves to it: using the alias fails, so kms-alias rolls the change back by itself and exits 9.',
      ['update', 'alias/demo/payments', '--to', 'alias/demo/payments-next', '--yes'],
      Exit.UseFailed,
      (port) => disablingOnMove(port, next.keyId),
    )
    const back = await currentTarget(kms, 'alias/demo/payments')
    if (back !== payments.keyId)
      throw new CliError(`after the rollback alias/demo/payments points to ${back ?? 'nothing'}, not ${payments.keyId}`, Exit.Internal, 'this is a bug in kms-alias')
    if (this.ui.format !== 'json') this.ui.note(`alias/demo/payments points to ${back} again (the rollback held).`)

    this.ui.note('')
    this.ui.note(
      this.ui.err.bold('That was the whole tool. The in-memory KMS is gone with this process; against AWS, start with: kms-alias list --region <your Region>'),
    )
  }

  /**
   * Issue 21: who still uses a key, and a retirement that refuses a key in use and disables an idle
   * one. The in-memory KMS logs its own calls as CloudTrail would and tracks each key's last use.
   */
  private async usageAct(kms: KmsPort, keys: readonly CreatedKey[], first: number): Promise<void> {
    const payments = aliasKey(keys, 'alias/demo/payments')
    const idle = keyOf(keys, 'RSA_2048')
    // An application's traffic, with the demo's own credentials (so CloudTrail shows one caller).
    const sealed = await kms.encrypt({ keyRef: 'alias/demo/payments', plaintext: new TextEncoder().encode('card 4111') })
    await kms.decrypt({ ciphertext: sealed.ciphertext })
    await this.command(
      first,
      'An application has just encrypted and decrypted through alias/demo/payments. `usage` gathers the evidence of use: GetKeyLastUsage, the callers CloudTrail logged, the aliases, and a verdict.',
      ['usage', 'alias/demo/payments'],
      Exit.Ok,
    )
    await this.command(
      first + 1,
      '`retire --disable` refuses a key that an alias points to or that was used within --idle-for (30 days): disabling it would break its callers.',
      ['retire', payments.keyId, '--disable', '--yes'],
      Exit.Refused,
    )
    await this.command(
      first + 2,
      'The RSA_2048 key has no alias and was never used, so it is disabled: journaled, undone by `kms-alias undo`.',
      ['retire', idle.keyId, '--disable', '--yes'],
      Exit.Ok,
    )
    // The in-memory KMS runs on the real clock, so the soak honestly lasts moments here.
    await this.command(
      first + 3,
      '`retire --check` lists every caller that KMS refused because the key is disabled, since it was disabled (the journal, or the DisableKey event in CloudTrail, says when). None yet: the soak is clean so far.',
      ['retire', idle.keyId, '--check'],
      Exit.Ok,
    )
    await this.command(
      first + 4,
      '`retire --schedule-deletion` waits for a soak of --soak (7 days) with a clean check; minutes are not enough, so even this --dry-run is refused. After the soak it schedules the deletion, which `undo` cancels.',
      ['retire', idle.keyId, '--schedule-deletion', '--dry-run'],
      Exit.Refused,
    )
  }

  /** The sentence that introduces a step (after waiting for Enter with --step), and its command line. */
  private async introduce(step: number, sentence: string, words: readonly string[] | null): Promise<void> {
    if (step > 1) await this.waitForEnter()
    const { err } = this.ui
    this.ui.note('')
    this.ui.note(`${err.bold(`[${step}/${STEPS}]`)} ${sentence}`)
    if (words) this.ui.note(err.cyan(`$ ${shellCommand(['kms-alias', ...words])}`))
  }

  private async waitForEnter(): Promise<void> {
    if (!this.options.step) return
    if (!canAsk(this.ctx, this.ui.format)) {
      if (!this.stepWarned) this.ui.warn('--step waits for Enter only on a terminal and not with --json; running straight through')
      this.stepWarned = true
      return
    }
    // confirmByName with an empty name: Enter continues; Ctrl-C interrupts like any prompt.
    await this.ctx.prompt.confirmByName(this.ui.err.dim('Press Enter for the next step (Ctrl-C stops).'), '')
  }

  /**
   * Runs `kms-alias <words>` through main() on this Context, in the current view; `meanwhile` wraps
   * the in-memory KMS port with what another writer does during that command.
   */
  private async command(step: number, sentence: string, words: string[], expected: number, meanwhile?: (port: KmsPort) => KmsPort): Promise<void> {
    await this.introduce(step, sentence, words)
    const { main } = await import('../cli/main.js')
    const capture = this.ui.format === 'json' ? new Capture() : undefined
    const io = capture ? { ...this.ctx.io, out: capture } : this.ctx.io
    const ctx: Context = meanwhile
      ? { ...this.ctx, io, kms: async (config) => meanwhile(await this.ctx.kms(config)) }
      : capture
        ? { ...this.ctx, io }
        : this.ctx
    const exitCode = await main([...words, ...this.plumbing()], ctx)
    // The signal's own error, so that SIGTERM and SIGHUP keep their exit codes (143, 129).
    if (this.ctx.signal.aborted) throw interruptedBy(this.ctx.signal)
    if (exitCode === Exit.Interrupted) throw new CliError('interrupted', Exit.Interrupted)
    this.record(step, sentence, shellCommand(['kms-alias', ...words]), exitCode, capture ? parseJson(capture.text) : null)
    if (exitCode !== expected) {
      throw new CliError(
        `demo step ${step} (kms-alias ${words[0]}) ended with exit ${exitCode}, not ${expected}`,
        Exit.Internal,
        'this is a bug in kms-alias; run again with --debug',
      )
    }
  }

  /** The global options every command of the tour gets: the in-memory KMS, its journal, this view. */
  private plumbing(): string[] {
    const g = this.globals
    return [
      '--endpoint-url',
      MEMORY_ENDPOINT,
      ...(this.journal === false ? ['--no-journal'] : ['--journal', this.journal]),
      '--output',
      g.output,
      ...(g.region ? ['--region', g.region] : []),
      ...(g.color ? [] : ['--no-color']),
      ...(g.quiet ? ['--quiet'] : []),
      ...(g.debug ? ['--debug'] : []),
    ]
  }

  private record(step: number, title: string, command: string | null, exitCode: number, output: unknown): void {
    this.steps.push({ step, title, command, exitCode, output })
  }

  private showKeys(keys: readonly CreatedKey[]): void {
    if (this.ui.format === 'json') return
    const rows = keys.map(({ key, label, alias }) => [key.keyId, key.keySpec ?? '-', key.keyUsage ?? '-', key.keyState ?? '-', label, alias ?? '-'])
    if (this.ui.format === 'text') {
      this.ui.write(rows.map((r) => `${r.join('\t')}\n`).join(''))
      return
    }
    // Fits the terminal like every other table (renderTable): identifiers kept whole, text wrapped.
    const head = ['key', 'spec', 'usage', 'state', 'description', 'alias']
    this.ui.write(`${renderTable(this.ui.out, { head, rows, fit: ['id', 'keep', 'keep', 'keep', 'wrap', 'id'] }, this.ui.width)}\n`)
  }
}

interface CreatedKey {
  key: KeyInfo
  label: string
  alias?: string
}

/** The tour's keys and aliases, made through the KMS API as a team's own tooling would. */
async function createKeys(kms: KmsPort): Promise<CreatedKey[]> {
  const created: CreatedKey[] = []
  for (const k of KEYS) {
    let key = await kms.createKey({ keySpec: k.spec, keyUsage: k.usage, description: `demo: ${k.label}` })
    if (k.disabled) {
      await kms.disableKey(key.keyId)
      key = await kms.describeKey(key.keyId)
    }
    if (k.alias) await kms.createAlias(k.alias, key.keyId)
    created.push({ key, label: k.label, ...(k.alias ? { alias: k.alias } : {}) })
  }
  return created
}

/** The port, with another team disabling `keyId` right after an alias is moved to it. */
function disablingOnMove(port: KmsPort, keyId: string): KmsPort {
  return new Proxy(port, {
    get(target, property, receiver) {
      if (property === 'updateAlias')
        return async (aliasName: string, targetKeyId: string) => {
          await target.updateAlias(aliasName, targetKeyId)
          if (targetKeyId === keyId) await target.disableKey(keyId)
        }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

function keyOf(keys: readonly CreatedKey[], spec: string): KeyInfo {
  const found = keys.find((k) => k.key.keySpec === spec)
  if (!found) throw new Error(`the demo made no ${spec} key`)
  return found.key
}

function aliasKey(keys: readonly CreatedKey[], alias: string): KeyInfo {
  const found = keys.find((k) => k.alias === alias)
  if (!found) throw new Error(`the demo made no ${alias}`)
  return found.key
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null
  return JSON.parse(text) as unknown
}

/** Collects a command's stdout, so the JSON view prints one document for the whole tour. */
class Capture extends Writable {
  text = ''
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}
