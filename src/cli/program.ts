// The commander table: every command's arguments, options and help. Each action imports its
// command module only when it runs, so --help and usage errors load none of them.
import { Argument, Command, Option } from 'commander'
import type { Shell } from './completion.js'
import type { Context } from './context.js'
import { UsageError } from '../errors.js'
import {
  addGlobalOptions,
  parsePositiveInt,
  parsePositiveNumber,
  parsePositiveSeconds,
  resolveGlobalOptions,
  VERIFY_TIMEOUT_LIMIT_SECONDS,
  type GlobalOptions,
} from './globalOptions.js'
import { parseRegions } from './regions.js'
import { parseDuration } from './durations.js'
import { escapeComposed } from '../output/escape.js'
import type { ProbeSettings } from '../engine/probe.js'
import type { AssumeRoleConfig } from '../kms/port.js'
import { version } from '../version.js'

const EXAMPLES = `
Examples:
  $ kms-alias list --prefix alias/payments
  $ kms-alias show alias/payments
  $ kms-alias create alias/payments-2027 --to 1234abcd-12ab-34cd-56ef-1234567890ab
  $ kms-alias update alias/payments --to 1234abcd-12ab-34cd-56ef-1234567890ab --dry-run
  $ kms-alias update alias/payments --to alias/payments-next --yes
  $ kms-alias update alias/signing --to mrk-1234abcd12ab34cd56ef1234567890ab --expect-current 0987dcba-09fe-87dc-65ba-ab0987654321 --json
  $ kms-alias delete alias/payments-old --yes
  $ kms-alias update alias/payments --to alias/payments-2027 --regions us-east-1,eu-west-1 --dry-run
  $ kms-alias rotate alias/signing --dry-run
  $ kms-alias apply aliases.txt --dry-run
  $ kms-alias compare alias/payments 1234abcd-12ab-34cd-56ef-1234567890ab
  $ kms-alias history alias/payments
  $ kms-alias undo --last
  $ kms-alias demo                     # the whole tool on an in-memory KMS, no AWS account needed

Exit codes: 0 ok, 1 internal error, 2 usage, 3 refused, 4 not found, 5 conflict,
6 not confirmed, 7 access or configuration, 8 AWS or network failure, 9 the alias could not
be used after the change (rolled back), 129 hang-up (SIGHUP),
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
An option that takes a value may be given once (a repeated one is a usage error).`

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`

// KMS's default quota for CreateAlias and UpdateAlias: 5 requests a second per account and Region.
const DEFAULT_APPLY_RATE = 5
const MAX_APPLY_RATE = 1000
// usage, retire and --callers (issue 21): CloudTrail's event history keeps 90 days.
const MAX_TRAIL_DAYS = 90
const DEFAULT_USAGE_DAYS = 30
const DEFAULT_MAX_EVENTS = 1000
const MAX_EVENTS_LIMIT = 100_000

/** Called by a command's action with the exit code it chose. */
export type SetExitCode = (code: number) => void

/** A fresh commander tree per call: commander keeps parse state on the instance. */
export function createProgram(ctx: Context, setExitCode: SetExitCode): Command {
  const program = new Command('kms-alias')
    .description('Change AWS KMS aliases safely: preflight checks, the change, then confirmation.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void ctx.io.out.write(text),
      // Commander echoes what was typed (an unknown command, a bad value): shown, never obeyed.
      writeErr: (text) => void ctx.io.err.write(escapeComposed(text)),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXAMPLES)
  addGlobalOptions(program)

  /** Resolves the global options of the command that runs, and reports its exit code. */
  const run = async (command: Command, work: (globals: GlobalOptions) => Promise<number>) => {
    const globals = resolveGlobalOptions(command.optsWithGlobals(), ctx)
    const { checkJournalLocation } = await import('../engine/store.js')
    await checkJournalLocation(ctx, globals)
    setExitCode(await work(globals))
  }

  program
    .command('list')
    .description("list the aliases in the Region with their keys' spec, usage, state and manager")
    .option('--key <key>', 'only aliases pointing to this key (key ID, key ARN, alias/<name> or alias ARN; an ARN of another Region or account is refused)')
    .option('--prefix <prefix>', 'only aliases whose name starts with this (e.g. alias/payments)')
    .option('--all', 'also show the AWS managed aliases (alias/aws/*)')
    .addOption(
      new Option('--regions <r1,r2,...>', 'read these Regions at once: one row per alias and Region, skew marked where the keys differ').argParser((value) =>
        parseRegions(value),
      ),
    )
    .addHelpText(
      'after',
      examples(
        'kms-alias list',
        'kms-alias list --prefix alias/payments --json',
        'kms-alias list --key alias/payments        # every alias on the key behind alias/payments',
        'kms-alias list --regions us-east-1,eu-west-1 --prefix alias/payments',
        'kms-alias list --role-arn arn:aws:iam::111122223333:role/kms-alias-reader --json',
      ),
    )
    .action(async (raw: { key?: string; prefix?: string; all?: boolean; regions?: string[] }, command: Command) => {
      const { runList } = await import('../commands/list.js')
      await run(command, (globals) => runList({ ...raw, all: raw.all === true }, ctx, globals))
    })

  program
    .command('show')
    .description("show an alias, its key's full metadata, and the other aliases of that key")
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .addHelpText('after', examples('kms-alias show alias/payments', 'kms-alias show alias/payments --json | jq .otherAliases'))
    .action(async (alias: string, _raw: unknown, command: Command) => {
      const { runShow } = await import('../commands/show.js')
      await run(command, (globals) => runShow({ alias }, ctx, globals))
    })

  const create = program
    .command('create')
    .description('create an alias, after checking that its key can be a target (exit 0, already-in-place, if it already points there)')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .requiredOption('--to <key>', 'the target: key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .option('--dry-run', 'run the preflight and print the plan; change nothing (exit 0 if it would be made, 3 if refused)')
    .option('--allow-disabled', 'allow a target that is not Enabled (never one pending deletion)')
    // Scripts pass --yes to every command that changes something; create asks nothing, so it is a no-op.
    .option('-y, --yes', 'accepted and ignored: create never asks for confirmation')
  addVerifyOptions(create, 'the alias exists')
    .addHelpText(
      'after',
      examples(
        'kms-alias create alias/payments-2027 --to 1234abcd-12ab-34cd-56ef-1234567890ab',
        'kms-alias create alias/payments-next --to alias/payments --dry-run --json',
      ),
    )
    .action(async (alias: string, raw: Flags & { to: string }, command: Command) => {
      const { runCreate } = await import('../commands/create.js')
      await run(command, (globals) =>
        runCreate(
          { alias, to: raw.to, dryRun: raw.dryRun === true, allowDisabled: raw.allowDisabled === true, verify: raw.verify, verifyTimeout: raw.verifyTimeout },
          ctx,
          globals,
        ),
      )
    })

  const update = program
    .command('update')
    .description('point an alias to another key, after checking that the new key can replace the old one')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .requiredOption('--to <key>', 'the new target: key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .option('--dry-run', 'run the preflight and print the plan; change nothing (exit 0 if it would be made, 3 if refused)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .option('--expect-current <key>', 'change nothing and exit 5 unless the alias points to this key now (key ID, key ARN, or alias/<name>: the key it points to as the run starts)')
  addOverrideOptions(update)
  addCallersOption(update)
  addIamOption(update)
  addProbeOptions(update)
    .addOption(
      new Option(
        '--regions <r1,r2,...>',
        'change the alias in each of these Regions as one change: all planned first, rolled back on a failure (--to and --expect-current then take an alias/<name> or an mrk- key ID)',
      ).argParser((value) => parseRegions(value)),
    )
    .option('--all-regions', "like --regions, with every Region of the current key's replica set (a multi-Region key)")
  addVerifyOptions(update, 'the alias points to the new key')
    .addHelpText(
      'after',
      examples(
        'kms-alias update alias/payments --to 1234abcd-12ab-34cd-56ef-1234567890ab --dry-run',
        'kms-alias update alias/payments --to alias/payments-2027 --yes --json',
        'kms-alias update alias/signing --to arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\\n      --expect-current 0987dcba-09fe-87dc-65ba-ab0987654321 --allow-spec-change',
        'kms-alias update alias/payments --to mrk-1234abcd12ab34cd56ef1234567890ab --regions us-east-1,eu-west-1,ap-southeast-2 --dry-run',
        'kms-alias update alias/payments --to alias/payments-2027 --all-regions --yes --json',
      ),
    )
    .action(async (alias: string, raw: UpdateFlags, command: Command) => {
      const options = {
        alias,
        to: raw.to,
        dryRun: raw.dryRun === true,
        yes: raw.yes === true,
        verify: raw.verify,
        verifyTimeout: raw.verifyTimeout,
        ...(raw.expectCurrent === undefined ? {} : { expectCurrent: raw.expectCurrent }),
        ...overrideFlags(raw),
        iam: raw.iam === true,
        probe: await probeFlags(raw),
        ...(raw.callers === undefined ? {} : { callers: raw.callers }),
      }
      if (raw.regions !== undefined || raw.allRegions === true) {
        const { runUpdateRegions } = await import('../commands/updateRegions.js')
        const several = { ...options, allRegions: raw.allRegions === true, ...(raw.regions === undefined ? {} : { regions: raw.regions }) }
        await run(command, (globals) => runUpdateRegions(several, ctx, globals))
        return
      }
      const { runUpdate } = await import('../commands/update.js')
      await run(command, (globals) => runUpdate(options, ctx, globals))
    })

  // commander sets copyPolicy/copyTags to false for --no-copy-policy/--no-copy-tags.
  type RotateFlags = Flags & { description?: string; copyPolicy: boolean; copyTags: boolean }
  const rotate = program
    .command('rotate')
    .description('rotate a key by hand: create a key like the current one (policy, tags, rotation), then move the alias to it')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .option('--dry-run', 'read the current key and show the plan; create and change nothing (exit 0, or 3 if refused)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal; required when not on one (a new key is billed monthly)')
    .option('--description <text>', 'the new key\'s description (default: the current one plus "(rotated from <key ID> on <date>)")')
    .option('--no-copy-policy', "give the new key KMS's default key policy instead of a copy of the current one")
    .option('--no-copy-tags', `copy no tags (the new key still gets kms-alias:rotated-from)`)
  addOverrideOptions(rotate)
  addProbeOptions(rotate)
  addVerifyOptions(rotate, 'the alias points to the new key')
    .addHelpText(
      'after',
      examples(
        'kms-alias rotate alias/signing --dry-run',
        'kms-alias rotate alias/signing --yes --json',
        'kms-alias rotate alias/payments-hmac --no-copy-tags --description "payments HMAC, 2027"',
      ),
    )
    .action(async (alias: string, raw: RotateFlags, command: Command) => {
      const { runRotate } = await import('../commands/rotate.js')
      const options = {
        alias,
        dryRun: raw.dryRun === true,
        yes: raw.yes === true,
        copyPolicy: raw.copyPolicy,
        copyTags: raw.copyTags,
        ...overrideFlags(raw),
        verify: raw.verify,
        verifyTimeout: raw.verifyTimeout,
        ...(raw.description === undefined ? {} : { description: raw.description }),
        probe: await probeFlags(raw),
      }
      await run(command, (globals) => runRotate(options, ctx, globals))
    })

  const remove = program
    .command('delete')
    .description('delete an alias (never its key); on a terminal you type the name to confirm')
    .argument('<alias>', 'alias/<name> or an alias ARN')
    .option('-y, --yes', 'delete without typing the name; required when not on a terminal')
    .option('--dry-run', 'show what the alias points to and what would be lost; change nothing')
    .option('--expect-current <key>', 'delete nothing and exit 5 unless the alias points to this key now (key ID, key ARN, or alias/<name>: the key it points to as the run starts)')
  addVerifyOptions(remove, 'the alias is gone')
    .addHelpText(
      'after',
      examples(
        'kms-alias delete alias/payments-old            # on a terminal: type the name to confirm',
        'kms-alias delete alias/payments-old --yes --json',
        'kms-alias delete alias/payments-old --dry-run',
      ),
    )
    .action(async (alias: string, raw: Flags & { expectCurrent?: string }, command: Command) => {
      const { runDelete } = await import('../commands/delete.js')
      const options = {
        alias,
        yes: raw.yes === true,
        dryRun: raw.dryRun === true,
        verify: raw.verify,
        verifyTimeout: raw.verifyTimeout,
        ...(raw.expectCurrent === undefined ? {} : { expectCurrent: raw.expectCurrent }),
      }
      await run(command, (globals) => runDelete(options, ctx, globals))
    })

  const apply = program
    .command('apply')
    .description('create or repoint many aliases from a file, all or nothing at planning time, rolled back on failure')
    .argument('<file>', 'the mapping file, or - for stdin')
    .option('--dry-run', 'plan and show; change nothing (exit 0, or 3 if any entry is refused)')
    .addOption(
      new Option('--rate <per-second>', `mutating calls a second at most, up to ${MAX_APPLY_RATE}`)
        .default(DEFAULT_APPLY_RATE)
        .argParser(parsePositiveNumber('--rate', MAX_APPLY_RATE)),
    )
    .option('--no-rollback', 'on a failure, leave the entries already applied as they are')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
  addOverrideOptions(apply, 'for every entry: ')
  addProbeOptions(apply)
  addCallersOption(apply)
  addIamOption(apply).option(
    '--role-name <name>',
    "for entries with an account column other than the credentials': assume arn:aws:iam::<account>:role/<name> there (takes --role-session-name and --external-id)",
  )
  addVerifyOptions(apply, 'each change is visible')
    .addHelpText(
      'after',
      `
File formats (chosen by content):
  {"alias/payments": "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/orders": "alias/orders-2027"}
  [{"alias": "alias/payments", "to": "alias/payments-2027", "region": "eu-west-1", "account": "111122223333"}]
  # or plain lines: alias, key and an optional Region, # comments
  alias/payments 1234abcd-12ab-34cd-56ef-1234567890ab eu-west-1
Entries are grouped by account and Region (rows without them use the client's): every group is
planned before anything changes, the groups apply at the same time at --rate each, and a failure
in one stops and rolls back all of them. An account other than the credentials' needs --role-name.
${examples('kms-alias apply aliases.txt --dry-run', 'generate-mapping | kms-alias apply - --yes --json', 'kms-alias apply org-aliases.json --role-name kms-alias-operator --yes')}`,
    )
    .action(async (file: string, raw: Flags & { rate: number; rollback: boolean; roleName?: string; callers?: number }, command: Command) => {
      const { runApply } = await import('../commands/apply.js')
      const { parseRoleNameOptions } = await import('./roles.js')
      const all = command.optsWithGlobals() as { roleArn?: string; roleSessionName?: string; externalId?: string }
      const roleName = parseRoleNameOptions({ roleName: raw.roleName, roleArn: all.roleArn, roleSessionName: all.roleSessionName, externalId: all.externalId })
      const options = {
        file,
        dryRun: raw.dryRun === true,
        rate: raw.rate,
        rollback: raw.rollback,
        yes: raw.yes === true,
        verify: raw.verify,
        verifyTimeout: raw.verifyTimeout,
        ...overrideFlags(raw),
        iam: raw.iam === true,
        ...(raw.callers === undefined ? {} : { callers: raw.callers }),
        ...(roleName === undefined ? {} : { roleName }),
        probe: await probeFlags(raw),
      }
      await run(command, (globals) => runApply(options, ctx, globals))
    })

  // The access preflight's read-only view (issue 9).
  program
    .command('compare')
    .description('compare two keys side by side, access included, with the findings an update would give; read-only (exit 0 allowed, 3 refused, 4 not found)')
    .argument('<current>', 'the key the alias points to now: alias/<name>, alias ARN, key ID or key ARN')
    .argument('<new>', 'the key it would point to')
    .option('--iam', 'also read IAM identity policies (GetAccountAuthorizationDetails) for KEY_ARN_PINNED and alias conditions')
    .option('--allow-spec-change', 'judge as update --allow-spec-change would')
    .option('--allow-disabled', 'judge as update --allow-disabled would')
    .option('--allow-access-change', 'judge as update --allow-access-change would')
    .addHelpText(
      'after',
      examples(
        'kms-alias compare alias/payments 1234abcd-12ab-34cd-56ef-1234567890ab',
        'kms-alias compare alias/payments alias/payments-2027 --iam --json | jq .findings',
      ),
    )
    .action(async (current: string, next: string, raw: Flags, command: Command) => {
      const { runCompare } = await import('../commands/compare.js')
      const options = {
        current,
        next,
        iam: raw.iam === true,
        allowSpecChange: raw.allowSpecChange === true,
        allowDisabled: raw.allowDisabled === true,
        allowAccessChange: raw.allowAccessChange === true,
      }
      await run(command, (globals) => runCompare(options, ctx, globals))
    })

  program
    .command('history')
    .description('the journal of alias changes made with kms-alias, newest first')
    .argument('[alias]', 'only changes of this alias')
    .option('--run <runId>', "only the changes of one apply run (its runId, in apply's JSON output)")
    .option('--limit <n>', 'only the newest n entries')
    .option('--since <when>', 'only entries since a duration ago (30m, 12h, 7d, 2w) or a date or time (2026-11-29, 2026-11-29T08:00:00Z)')
    .addHelpText(
      'after',
      examples('kms-alias history', 'kms-alias history alias/payments --json', 'kms-alias history --run run-5e0c7a12', 'kms-alias history --since 7d --limit 20'),
    )
    .action(async (alias: string | undefined, raw: { run?: string; limit?: string; since?: string }, command: Command) => {
      const { runHistory } = await import('../commands/history.js')
      const options = {
        ...(alias === undefined ? {} : { alias }),
        ...(raw.run === undefined ? {} : { run: raw.run }),
        ...(raw.limit === undefined ? {} : { limit: raw.limit }),
        ...(raw.since === undefined ? {} : { since: raw.since }),
      }
      await run(command, (globals) => runHistory(options, ctx, globals))
    })

  const undo = program
    .command('undo')
    .description('revert one journaled change, unless the alias has changed since (exit 5)')
    .argument('[id]', 'the journal entry to revert (see kms-alias history)')
    .option('--last', 'revert the newest change not yet reverted (a second undo --last steps further back; it never undoes the undo)')
    .option('--run <runId>', 'revert every change of one apply run, newest first, all planned first (all or nothing)')
    .option('--dry-run', 'run the preflight and show the plan; change nothing')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (needed to revert a create when not on one)')
  addOverrideOptions(undo)
  addProbeOptions(undo)
  addVerifyOptions(undo, 'the revert is visible')
    .addHelpText('after', examples('kms-alias undo --last --dry-run', 'kms-alias undo 3f9c01ab --yes', 'kms-alias undo --run run-5e0c7a12 --dry-run'))
    .action(async (id: string | undefined, raw: Flags & { last?: boolean; run?: string }, command: Command) => {
      const { runUndo } = await import('../commands/undo.js')
      const options = {
        last: raw.last === true,
        dryRun: raw.dryRun === true,
        yes: raw.yes === true,
        ...overrideFlags(raw),
        verify: raw.verify,
        verifyTimeout: raw.verifyTimeout,
        ...(id === undefined ? {} : { id }),
        ...(raw.run === undefined ? {} : { run: raw.run }),
        probe: await probeFlags(raw),
      }
      await run(command, (globals) => runUndo(options, ctx, globals))
    })

  // One command with the action as its first argument (not two subcommands), so that completion
  // and the generated docs, which read one level of commands, cover it.
  program
    .command('journal')
    .description('move a local journal into a team one: export it as JSON lines, import such a file into --journal s3://<bucket>/<prefix>')
    .addArgument(new Argument('<action>', 'export: print the journal as JSON lines, oldest first; import: store the lines of <file> in the team journal (idempotent by entry id)').choices(['export', 'import']))
    .argument('[file]', 'import: a journal file, or the output of journal export; - reads stdin')
    .addHelpText(
      'after',
      examples('kms-alias journal export > mine.jsonl', 'kms-alias journal import mine.jsonl --journal s3://team-kms/prod', 'kms-alias journal export | kms-alias journal import - --journal s3://team-kms/prod', 'kms-alias journal export --journal s3://team-kms/prod > prod.jsonl'),
    )
    .action(async (action: 'export' | 'import', file: string | undefined, _raw: unknown, command: Command) => {
      if (action === 'import' && file === undefined) throw new UsageError('journal import needs the file to import', 'kms-alias journal import <file> --journal s3://<bucket>/<prefix>')
      if (action === 'export' && file !== undefined) throw new UsageError('journal export takes no file: it prints to stdout', 'kms-alias journal export > journal.jsonl')
      const { runJournalExport, runJournalImport } = await import('../commands/journal.js')
      await run(command, (globals) => (file === undefined ? runJournalExport(ctx, globals) : runJournalImport({ file }, ctx, globals)))
    })

  // Issue 21: who still uses a key, and its staged retirement.
  program
    .command('usage')
    .description('who still uses a key: its last use (GetKeyLastUsage), its callers in CloudTrail, its aliases and grants, and a verdict (exit 0 whatever it is)')
    .argument('<key>', 'key ID, mrk- ID, key ARN, alias/<name> or alias ARN')
    .addOption(
      new Option('--since <duration>', `read CloudTrail over this window back from now (7d, 2w, 36h; CloudTrail keeps ${MAX_TRAIL_DAYS} days)`)
        .default(DEFAULT_USAGE_DAYS, `${DEFAULT_USAGE_DAYS}d`)
        .argParser(parseDuration('--since', { maxDays: MAX_TRAIL_DAYS })),
    )
    .addOption(
      new Option('--max-events <n>', 'stop reading CloudTrail after this many events (said when reached)')
        .default(DEFAULT_MAX_EVENTS)
        .argParser(parsePositiveInt('--max-events', MAX_EVENTS_LIMIT)),
    )
    .addOption(
      new Option('--regions <r1,r2,...>', "also these Regions of a multi-Region key (its replicas): each Region's last use, aliases and callers").argParser((value) =>
        parseRegions(value),
      ),
    )
    .addHelpText(
      'after',
      examples('kms-alias usage alias/payments', 'kms-alias usage 1234abcd-12ab-34cd-56ef-1234567890ab --since 90d --json | jq .verdict', 'kms-alias usage mrk-1234abcd12ab34cd56ef1234567890ab --regions us-east-1,eu-west-1'),
    )
    .action(async (key: string, raw: { since: number; maxEvents: number; regions?: string[] }, command: Command) => {
      const { runUsage } = await import('../commands/usage.js')
      const options = { key, sinceDays: raw.since, maxEvents: raw.maxEvents, ...(raw.regions === undefined ? {} : { regions: raw.regions }) }
      await run(command, (globals) => runUsage(options, ctx, globals))
    })

  type RetireFlags = {
    disable?: boolean
    check?: boolean
    scheduleDeletion?: boolean
    dryRun?: boolean
    yes?: boolean
    idleFor: number
    allowUnknownUsage?: boolean
    days: number
    soak: number
    maxEvents: number
  }
  program
    .command('retire')
    .description('retire a key in stages, each journaled and undone by undo: --disable (refused while it is in use), --check, --schedule-deletion')
    .argument('<key>', 'key ID, mrk- ID or key ARN; not an alias (an alias on the key blocks every step)')
    .option('--disable', 'disable the key: refused while an alias points to it or anything shows use within --idle-for (undo: EnableKey)')
    .option('--check', 'since the key was disabled, every caller refused with DisabledException: any is KEY_STILL_NEEDED (exit 3); read-only')
    .option('--schedule-deletion', 'schedule the key for deletion: only a key disabled for --soak with a clean check and no alias (undo: CancelKeyDeletion)')
    .option('--dry-run', 'read and judge; change nothing (exit 0, or 3 if refused)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal; required when not on one')
    .addOption(
      new Option('--idle-for <duration>', '--disable: how long the key must have gone unused (7d, 2w, 36h)')
        .default(DEFAULT_USAGE_DAYS, `${DEFAULT_USAGE_DAYS}d`)
        .argParser(parseDuration('--idle-for', { maxDays: MAX_TRAIL_DAYS })),
    )
    .option('--allow-unknown-usage', '--disable: disable a key whose use cannot be told (LAST_USE_UNKNOWN warns instead)')
    .addOption(
      new Option('--days <n>', '--schedule-deletion: the waiting period before KMS deletes the key, 7 to 30')
        .default(30)
        .argParser(parseWholeDays('--days', 7, 30)),
    )
    .addOption(
      new Option('--soak <duration>', '--schedule-deletion: how long the key must have been disabled').default(7, '7d').argParser(parseDuration('--soak', { maxDays: MAX_TRAIL_DAYS })),
    )
    .addOption(
      new Option('--max-events <n>', 'stop reading CloudTrail after this many events').default(DEFAULT_MAX_EVENTS).argParser(parsePositiveInt('--max-events', MAX_EVENTS_LIMIT)),
    )
    .addHelpText(
      'after',
      examples(
        'kms-alias retire 1234abcd-12ab-34cd-56ef-1234567890ab --disable --dry-run',
        'kms-alias retire 1234abcd-12ab-34cd-56ef-1234567890ab --disable --idle-for 60d --yes',
        'kms-alias retire 1234abcd-12ab-34cd-56ef-1234567890ab --check',
        'kms-alias retire 1234abcd-12ab-34cd-56ef-1234567890ab --schedule-deletion --days 30 --soak 14d --yes',
      ),
    )
    .action(async (key: string, raw: RetireFlags, command: Command) => {
      const steps = (['disable', 'check', 'scheduleDeletion'] as const).filter((s) => raw[s] === true)
      if (steps.length !== 1) throw new UsageError('give one of --disable, --check or --schedule-deletion', 'each step is a run of its own: disable, check the soak, then schedule the deletion')
      const { runRetire } = await import('../commands/retire.js')
      const options = {
        key,
        step: steps[0] === 'scheduleDeletion' ? ('schedule-deletion' as const) : (steps[0] as 'disable' | 'check'),
        dryRun: raw.dryRun === true,
        yes: raw.yes === true,
        idleForDays: raw.idleFor,
        allowUnknownUsage: raw.allowUnknownUsage === true,
        days: raw.days,
        soakDays: raw.soak,
        maxEvents: raw.maxEvents,
      }
      await run(command, (globals) => runRetire(options, ctx, globals))
    })

  program
    .command('demo')
    .description('a guided tour of kms-alias on an in-memory KMS: no AWS account, credentials, Region or network; nothing is kept')
    .option('--step', 'wait for Enter before each step (on a terminal)')
    .addHelpText(
      'after',
      `
Each step runs a real kms-alias command with --endpoint-url memory: (the in-memory KMS of this
process, gone when it ends) and a temporary journal (or none with --no-journal).
${examples('kms-alias demo', 'kms-alias demo --step', 'kms-alias demo --json | jq ".steps[2].output.findings"')}`,
    )
    .action(async (raw: { step?: boolean }, command: Command) => {
      const { runDemo } = await import('../commands/demo.js')
      await run(command, (globals) => runDemo({ step: raw.step === true }, ctx, globals))
    })

  // Reads this very table (through commander's Help), so the script cannot drift from it.
  program
    .command('completion')
    .description('print a shell completion script for bash, zsh or fish (no KMS call)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples("echo 'source <(kms-alias completion bash)' >> ~/.bashrc", 'kms-alias completion fish > ~/.config/fish/completions/kms-alias.fish'),
    )
    .action(async (shell: Shell) => {
      const { runCompletion } = await import('../commands/completion.js')
      setExitCode(runCompletion({ shell }, ctx, program))
    })

  // issue 23: the read-only audit of aliases across Regions and accounts.
  program
    .command('audit')
    .description('find the aliases that will break (keys pending deletion, disabled or unusable; missing replica aliases; skew), across Regions and accounts; read-only')
    .addOption(new Option('--regions <r1,r2,...>', "audit these Regions (default: the client's Region)").argParser((value) => parseRegions(value)))
    .option('--all-regions', "the client's Region and every Region that the multi-Region keys found there replicate to")
    .addOption(new Option('--accounts <id1,id2,...>', "audit these accounts (default: the credentials' account)").argParser(parseAccounts))
    .option('--role-name <name>', 'in each account of --accounts other than the credentials\', assume arn:aws:iam::<account>:role/<name> (takes --role-session-name and --external-id)')
    .option('--keys', 'also list the keys (ListKeys): KEY_WITHOUT_ALIAS for enabled customer managed keys that no alias names')
    .addOption(new Option('--within <days>', 'report imported key material that expires within this many days').default(30).argParser(parseDays))
    .addOption(new Option('--fail-on <level>', 'exit 3 when a finding at or above this level exists').choices(['error', 'warn', 'never']).default('error'))
    .option('--fix-plan <file>', 'write an apply file that creates the missing replica aliases, to review and run with kms-alias apply')
    .addOption(
      new Option('--rate <per-second>', `reads a second at most in each account and Region (ListAliases pages, DescribeKey), up to ${MAX_AUDIT_RATE}`)
        .default(DEFAULT_AUDIT_RATE)
        .argParser(parsePositiveNumber('--rate', MAX_AUDIT_RATE)),
    )
    .addHelpText(
      'after',
      examples(
        'kms-alias audit',
        'kms-alias audit --regions us-east-1,eu-west-1 --fail-on warn --json',
        'kms-alias audit --all-regions --fix-plan fix.json && kms-alias apply fix.json --dry-run',
        'kms-alias audit --regions us-east-1,eu-west-1 --accounts 111122223333,444455556666 --role-name kms-alias-reader',
      ),
    )
    .action(
      async (
        raw: {
          regions?: string[]
          allRegions?: boolean
          accounts?: string[]
          roleName?: string
          keys?: boolean
          within: number
          failOn: 'error' | 'warn' | 'never'
          fixPlan?: string
          rate: number
        },
        command: Command,
      ) => {
        const { runAudit } = await import('../commands/audit.js')
        const { parseRoleNameOptions } = await import('./roles.js')
        const all = command.optsWithGlobals() as { roleArn?: string; roleSessionName?: string; externalId?: string }
        const roleName = parseRoleNameOptions({
          roleName: raw.roleName,
          roleArn: all.roleArn,
          roleSessionName: all.roleSessionName,
          externalId: all.externalId,
        })
        const options = {
          allRegions: raw.allRegions === true,
          keys: raw.keys === true,
          withinDays: raw.within,
          failOn: raw.failOn,
          rate: raw.rate,
          ...(raw.regions === undefined ? {} : { regions: raw.regions }),
          ...(raw.accounts === undefined ? {} : { accounts: raw.accounts }),
          ...(roleName === undefined ? {} : { roleName }),
          ...(raw.fixPlan === undefined ? {} : { fixPlan: raw.fixPlan }),
        }
        await run(command, (globals) => runAudit(options, ctx, globals))
      },
    )

  refuseRepeatedOptions(program)
  return program
}

// audit's reads: ListAliases' quota (500 a second per account and Region) is the lower of the two
// it spends; by default a fifth of it, so that an audit leaves room for the account's other work.
const DEFAULT_AUDIT_RATE = 100
const MAX_AUDIT_RATE = 500
const MAX_WITHIN_DAYS = 3650

/** --accounts: 12-digit account IDs separated by commas, each once. */
function parseAccounts(value: string): string[] {
  const accounts: string[] = []
  for (const part of value.split(',')) {
    const account = part.trim()
    if (!/^\d{12}$/.test(account)) throw new UsageError(`--accounts: "${account}" is not a 12-digit account ID`, 'e.g. --accounts 111122223333,444455556666')
    if (!accounts.includes(account)) accounts.push(account)
  }
  return accounts
}

/** --within: whole days, 0 (expired only) to MAX_WITHIN_DAYS. */
function parseDays(value: string): number {
  const days = Number(value)
  if (!/^\d+$/.test(value) || days > MAX_WITHIN_DAYS) throw new UsageError(`--within must be a whole number of days from 0 to ${MAX_WITHIN_DAYS}, not "${value}"`)
  return days
}

/**
 * commander keeps the last of `--to A --to B`; a tool that changes production keys must not guess
 * which one was meant. Every option that takes one value (every command's, and the global ones,
 * including options added later) refuses a second occurrence: exit 2 before anything runs.
 */
function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (!(option.required || option.optional) || option.variadic || REPEATABLE.has(option.long ?? '')) continue
    const parse = option.parseArg
    let first: string | undefined
    option.argParser((value: string, previous: unknown) => {
      if (first !== undefined) throw new UsageError(`${option.long ?? option.flags} was given twice ("${first}" and "${value}"); give it once`)
      first = value
      return parse ? parse(value, previous) : value
    })
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub)
}

/** Options given once per value, collected in order (each has its own limit). */
const REPEATABLE = new Set(['--probe-as'])

const DEFAULT_PROBE_TIMEOUT_SECONDS = 60
// Each role is a probe of its own before and after every change.
const MAX_PROBE_ROLES = 5
/** A whole number of days within [min, max] (retire --days: ScheduleKeyDeletion's PendingWindowInDays). */
function parseWholeDays(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} must be a whole number of days from ${min} to ${max}, not "${value}"`)
    return n
  }
}

type UpdateFlags = Flags & { to: string; expectCurrent?: string; regions?: string[]; allRegions?: boolean; callers?: number }

/** The flags several commands share, as commander hands them over (booleans unset when absent). */
interface Flags {
  dryRun?: boolean
  yes?: boolean
  allowDisabled?: boolean
  allowSpecChange?: boolean
  allowAccessChange?: boolean
  iam?: boolean
  verify: boolean
  verifyTimeout: number
  /** --no-probe sets it false. */
  probe?: boolean
  probeTimeout?: number
  probeAs?: string[]
}

/**
 * The use probe's options (issue 20), on every command that moves an alias to another key (update,
 * --regions, apply, rotate, undo, undo --run).
 */
function addProbeOptions(command: Command): Command {
  return command
    .option('--no-probe', 'do not use the alias (Encrypt/Decrypt, Sign/Verify, ...) before and after the change')
    .addOption(
      new Option('--probe-timeout <seconds>', `how long to probe the alias after the change until the new key answers, at most ${VERIFY_TIMEOUT_LIMIT_SECONDS}`)
        .default(DEFAULT_PROBE_TIMEOUT_SECONDS)
        .argParser(parsePositiveSeconds('--probe-timeout', VERIFY_TIMEOUT_LIMIT_SECONDS)),
    )
    .addOption(
      new Option('--probe-as <role-arn>', `also probe as this role (AssumeRole), as the application would; repeatable, at most ${MAX_PROBE_ROLES}`).argParser(
        (value: string, previous: string[] | undefined) => {
          const roles = [...(previous ?? []), value]
          if (roles.length > MAX_PROBE_ROLES) throw new UsageError(`--probe-as was given ${roles.length} times; at most ${MAX_PROBE_ROLES} roles are probed`)
          return roles
        },
      ),
    )
}

/** The probe settings from the flags; a malformed role ARN is a usage error before anything runs. */
async function probeFlags(raw: Pick<Flags, 'probe' | 'probeTimeout' | 'probeAs'>): Promise<ProbeSettings> {
  const { parseRoleOptions } = await import('./roles.js')
  if (raw.probe === false && raw.probeAs !== undefined) {
    throw new UsageError('--no-probe and --probe-as cannot be used together', '--no-probe turns off every probe, the roles\' too; drop one of them')
  }
  // The same role twice is the same probe: it runs once (a role named again is no second caller).
  const arns = [...new Set(raw.probeAs ?? [])]
  const roles = arns.map((arn) => parseRoleOptions({ roleArn: arn, roleSessionName: PROBE_SESSION_NAME }, '--probe-as') as AssumeRoleConfig)
  return { enabled: raw.probe !== false, timeoutSeconds: raw.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_SECONDS, roles }
}

// What CloudTrail shows as the session of a probe made as a --probe-as role.
const PROBE_SESSION_NAME = 'kms-alias-probe'

/**
 * The overrides of the preflight's blocking findings, the same three on every command that moves an
 * alias (update, --regions, apply, rotate, undo, undo --run): a hint naming one is then always a
 * flag the command giving it accepts.
 */
function addOverrideOptions(command: Command, scope = ''): Command {
  return command
    .option('--allow-spec-change', `${scope}allow a different KeySpec or fewer algorithms within the same key class (a warning instead)`)
    .option('--allow-disabled', `${scope}allow a target that is not Enabled (never one pending deletion)`)
    .option(
      '--allow-access-change',
      `${scope}allow a new key whose key policy or grants allow less than the current key's (ACCESS_NARROWED, GRANTS_MISSING warn instead)`,
    )
}

const overrideFlags = (raw: { allowSpecChange?: boolean; allowDisabled?: boolean; allowAccessChange?: boolean }) => ({
  allowSpecChange: raw.allowSpecChange === true,
  allowDisabled: raw.allowDisabled === true,
  allowAccessChange: raw.allowAccessChange === true,
})

/** --callers[=<window>] (issue 21) on update, --regions and apply: recent callers of the current key checked against the new one. */
function addCallersOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--callers [window]',
      `also read CloudTrail: who used the current key in the window (default ${DEFAULT_USAGE_DAYS}d, at most ${MAX_TRAIL_DAYS}d) and would not be allowed on the new key (RECENT_CALLER_NOT_ALLOWED)`,
    )
      .preset(`${DEFAULT_USAGE_DAYS}d`)
      .argParser(parseDuration('--callers', { maxDays: MAX_TRAIL_DAYS })),
  )
}

/** IAM's identity policies in the access preflight (update and apply). */
function addIamOption(command: Command): Command {
  return command.option('--iam', 'also read IAM identity policies once (GetAccountAuthorizationDetails): KEY_ARN_PINNED, alias conditions')
}

/** The confirmation options every command that changes aliases takes. */
function addVerifyOptions(command: Command, what: string): Command {
  return command
    .option('--no-verify', `skip confirming with ListAliases that ${what} (output says verified: false)`)
    .addOption(
      new Option('--verify-timeout <seconds>', `how long to wait for ListAliases to show that ${what}, at most ${VERIFY_TIMEOUT_LIMIT_SECONDS}`)
        .default(30)
        .argParser(parsePositiveSeconds('--verify-timeout', VERIFY_TIMEOUT_LIMIT_SECONDS)),
    )
}
