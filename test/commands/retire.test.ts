import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
import type { RecordedCall } from '../../src/kms/memoryTrail.js'
import type { CloudTrailPort } from '../../src/cloudtrail/port.js'
import { AccessError } from '../../src/errors.js'
import { defaultJournal } from '../helpers/testContext.js'
import { ACCOUNT, FakeKms, key, REGION, throttled } from '../helpers/fakeKms.js'
import { journalOf, run } from '../helpers/run.js'

const DAY = 86_400_000
const APP = `arn:aws:iam::${ACCOUNT}:role/app`

/** A world whose store and test contexts share one clock; `at(days)` moves it (from 2026-11-29). */
function world(options: { created?: string; keyOver?: Parameters<typeof key>[0]; aliases?: Record<string, string> } = {}) {
  let now = Date.parse('2026-11-29T00:00:00Z')
  const k = key({ creationDate: new Date(options.created ?? '2026-06-01T00:00:00Z'), ...options.keyOver })
  // The store's clock is the test's (the trail's times, a DisableKey logged by the run itself).
  const kms = new FakeKms({ keys: [k], now: () => new Date(now) })
  // Tracking began long before the key: "never used" is a sure answer unless a test says otherwise.
  trackingStart(kms, '2026-01-01T00:00:00Z')
  for (const [name, keyId] of Object.entries(options.aliases ?? {})) kms.aliases.set(name, keyId || k.keyId)
  const journal = defaultJournal()
  const call = (over: Partial<RecordedCall>) =>
    kms.store.trail.record({ eventName: 'Decrypt', eventTime: new Date(now - DAY), region: REGION, principal: APP, keyArn: k.arn, ...over })
  const cli = (args: string[], extra: { tty?: boolean; answers?: string[]; onPrompt?: () => void; cloudtrail?: CloudTrailPort } = {}) =>
    run(args, { kms, journal, start: new Date(now), cloudtrail: (config) => createMemoryCloudTrail(kms.store.trail, config), ...extra })
  return {
    k,
    kms,
    call,
    cli,
    journal,
    state: () => kms.keys.get(k.keyId)?.keyState,
    later: (days: number) => void (now += days * DAY),
    now: () => new Date(now),
  }
}

function trackingStart(kms: FakeKms, iso: string) {
  ;(kms.store.trail as unknown as { trackingStart: Date }).trackingStart = new Date(iso)
}

describe('retire --disable', () => {
  it('an idle key (never used, no alias, no call): disabled through the write path, journaled, undo names the entry', async () => {
    const w = world()
    const { code, stdout, stderr } = await w.cli(['retire', w.k.keyId, '--disable', '--yes', '--json'])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const [entry] = await journalOf({ env: { KMS_ALIAS_JOURNAL: w.journal } })
    expect(entry).toMatchObject({ action: 'disable-key', keyId: w.k.keyId, previousState: 'Enabled', newState: 'Disabled', alias: '', command: 'retire --disable', changed: true, verified: true })
    expect(JSON.parse(stdout)).toMatchObject({
      step: 'disable',
      outcome: 'disabled',
      changed: true,
      findings: [],
      usage: { verdict: 'idle' },
      journalId: entry?.id,
      undo: `kms-alias undo ${entry?.id}`,
      error: null,
      exitCode: 0,
    })
    expect(w.state()).toBe('Disabled')
    // The guard read comes before the call, the read-back after it.
    expect(w.kms.calls.slice(-3)).toEqual([`DescribeKey ${w.k.keyId}`, `DisableKey ${w.k.keyId}`, `DescribeKey ${w.k.keyId}`])
  })

  it.each([
    ['an alias points to it', (w: ReturnType<typeof world>) => void w.kms.aliases.set('alias/app', w.k.keyId), [], 'KEY_HAS_ALIASES'],
    ['CloudTrail shows a Decrypt yesterday', (w: ReturnType<typeof world>) => void w.call({}), [], 'KEY_RECENTLY_USED'],
    // Failed before the fix (disabled): a GetPublicKey call was not counted as use.
    ['CloudTrail shows a GetPublicKey yesterday', (w: ReturnType<typeof world>) => void w.call({ eventName: 'GetPublicKey' }), [], 'KEY_RECENTLY_USED'],
    [
      'a Decrypt 20 days ago, within --idle-for 30d',
      (w: ReturnType<typeof world>) => void w.call({ eventTime: new Date(w.now().getTime() - 20 * DAY) }),
      ['--idle-for', '30d'],
      'KEY_RECENTLY_USED',
    ],
    ['use unknown: the key is older than the tracking, which began inside the window', (w: ReturnType<typeof world>) => void trackFrom(w, '2026-11-20T00:00:00Z'), [], 'LAST_USE_UNKNOWN'],
    [
      'a multi-Region primary with replicas',
      (w: ReturnType<typeof world>) =>
        void w.kms.keys.set(w.k.keyId, { ...w.k, multiRegion: true, multiRegionConfiguration: { keyType: 'PRIMARY', replicas: [{ arn: w.k.arn.replace(REGION, 'eu-west-1'), region: 'eu-west-1' }] } }),
      [],
      'KEY_HAS_REPLICAS',
    ],
    ['AWS managed', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyManager: 'AWS' }), [], 'KEY_AWS_MANAGED'],
    ['pending deletion', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'PendingDeletion' }), [], 'KEY_PENDING_DELETION'],
  ])('refused (exit 3) when %s: the key stays as it was, nothing journaled', async (_name, setup, flags, finding) => {
    const w = world()
    setup(w)
    const { code, stdout, stderr } = await w.cli(['retire', w.k.keyId, '--disable', '--yes', '--json', ...flags])
    expect(code).toBe(3)
    const report = JSON.parse(stdout)
    expect(report.outcome).toBe('refused')
    expect(report.findings.filter((f: { severity: string }) => f.severity === 'block').map((f: { code: string }) => f.code)).toEqual([finding])
    expect(stderr).toContain(`error: refused: ${finding}`)
    expect(w.state()).toBe(finding === 'KEY_PENDING_DELETION' ? 'PendingDeletion' : 'Enabled')
    expect(w.kms.calls.filter((c) => c.startsWith('DisableKey'))).toEqual([])
    expect(await journalOf({ env: { KMS_ALIAS_JOURNAL: w.journal } })).toEqual([])
  })

  // Failed before the fix: the hint was "see the findings; nothing was changed", silent on why use could not be told.
  it('--disable refused for unknown use: the hint says GetKeyLastUsage and CloudTrail are needed, and that only --allow-unknown-usage gets past their absence', async () => {
    const w = world()
    trackFrom(w, '2026-11-20T00:00:00Z')
    const { code, stderr } = await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    expect(code).toBe(3)
    expect(stderr).toContain(
      'error: refused: LAST_USE_UNKNOWN\n' +
        'hint: see the findings; nothing was changed. GetKeyLastUsage and CloudTrail (kms:GetKeyLastUsage, cloudtrail:LookupEvents) must show the key idle; ' +
        'where either is missing (as on KMS emulators) its use cannot be told, and only --allow-unknown-usage disables it\n',
    )
    expect(w.state()).toBe('Enabled')
  })

  it('--allow-unknown-usage turns LAST_USE_UNKNOWN into a warning: disabled', async () => {
    const w = world()
    trackFrom(w, '2026-11-20T00:00:00Z')
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--disable', '--yes', '--allow-unknown-usage', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout).findings.map((f: { code: string; severity: string }) => `${f.code}:${f.severity}`)).toEqual(['LAST_USE_UNKNOWN:warn'])
    expect(w.state()).toBe('Disabled')
  })

  // Failed before the fix (exit 0, key Disabled): the unread aliases were only a gap of the verdict,
  // which --allow-unknown-usage lifts, and KEY_HAS_ALIASES saw an empty list.
  it('ListAliases throttled (fake KMS fault) with --allow-unknown-usage: ALIASES_UNKNOWN, exit 3, the key stays Enabled', async () => {
    const w = world({ aliases: { 'alias/app': '' } })
    w.kms.listAliases = async () => {
      throw throttled('ListAliases')
    }
    const { code, stdout, stderr } = await w.cli(['retire', w.k.keyId, '--disable', '--yes', '--allow-unknown-usage', '--json'])
    expect(code).toBe(3)
    expect(stderr).toContain('error: refused: ALIASES_UNKNOWN')
    const report = JSON.parse(stdout)
    expect(report.outcome).toBe('refused')
    expect(report.findings.find((f: { code: string }) => f.code === 'ALIASES_UNKNOWN')).toEqual({
      code: 'ALIASES_UNKNOWN',
      severity: 'block',
      message: `whether an alias still points to ${w.k.keyId} cannot be told: ListAliases failed: ListAliases failed (3 attempts): ThrottlingException: Rate exceeded; try again when ListAliases answers`,
    })
    expect(w.state()).toBe('Enabled')
    expect(w.kms.calls.filter((c) => c.startsWith('DisableKey'))).toEqual([])
  })

  // Failed before the fix: the failed read counted as no grant and nothing was said.
  it('ListGrants denied (fake KMS fault): disabled with a GRANTS_UNKNOWN warning saying why', async () => {
    const w = world()
    w.kms.listGrants = async () => {
      throw new AccessError('ListGrants was denied: AccessDeniedException: no')
    }
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--disable', '--yes', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout).findings).toEqual([
      { code: 'GRANTS_UNKNOWN', severity: 'warn', message: 'grants could not be read: ListGrants was denied: AccessDeniedException: no; grantees, if any, lose use of the key too' },
    ])
    expect(w.state()).toBe('Disabled')
  })

  it('--dry-run: would-disable, no DisableKey; off a terminal without --yes: exit 2 before any call', async () => {
    const w = world()
    const dry = await w.cli(['retire', w.k.keyId, '--disable', '--dry-run', '--json'])
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.stdout).outcome).toBe('would-disable')
    const calls = w.kms.calls.length
    const noYes = await w.cli(['retire', w.k.keyId, '--disable'])
    expect(noYes.code).toBe(2)
    expect(noYes.stderr).toBe('error: --yes is required to disable a key when not running interactively\nhint: pass --yes, or --dry-run to see what would be done\n')
    expect(w.kms.calls.length).toBe(calls)
    expect(w.state()).toBe('Enabled')
  })

  // The guard: the key is read again under the lock, right before the call. Tried once without it
  // (writeKeyState not comparing the state it reads): DisableKey was sent and this test failed.
  it('guard: another writer disables the key while the prompt is open: conflict, exit 5, no DisableKey sent', async () => {
    const w = world()
    const { code, stderr } = await w.cli(['retire', w.k.keyId, '--disable'], {
      tty: true,
      answers: ['y'],
      onPrompt: () => void w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled' }),
    })
    expect(code).toBe(5)
    expect(stderr).toContain(`${w.k.keyId} is Disabled, but when this run planned the change it was Enabled: another writer changed it; nothing was changed`)
    expect(w.kms.calls.filter((c) => c.startsWith('DisableKey'))).toEqual([])
  })

  it('declined at the prompt: exit 130, the key unchanged', async () => {
    const w = world()
    const { code } = await w.cli(['retire', w.k.keyId, '--disable'], { tty: true, answers: ['n'] })
    expect(code).toBe(130)
    expect(w.state()).toBe('Enabled')
  })

  it('undo --last of the disable: EnableKey, journaled as reverting it', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    const { code, stderr } = await w.cli(['undo', '--last', '--yes'])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(w.state()).toBe('Enabled')
    const [disable, enable] = await journalOf({ env: { KMS_ALIAS_JOURNAL: w.journal } })
    expect(enable).toMatchObject({ action: 'enable-key', keyId: w.k.keyId, previousState: 'Disabled', newState: 'Enabled', command: 'undo', reverts: disable?.id })
    // history shows both entries, by key.
    const history = await w.cli(['history', '--output', 'text'])
    expect(history.stdout.split('\n').map((l) => l.split('\t').slice(2, 6).join(' '))).toEqual([
      `enable-key key ${w.k.keyId} Disabled Enabled`,
      `disable-key key ${w.k.keyId} Enabled Disabled`,
      '',
    ])
  })

  it('undo of a disable after the key was enabled by someone else: conflict, exit 5', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    await w.kms.enableKey(w.k.keyId)
    const { code, stderr } = await w.cli(['undo', '--last', '--yes'])
    expect(code).toBe(5)
    expect(stderr).toMatch(/is Enabled, but journal entry \w+ left it Disabled: it changed since; nothing was changed/)
  })
})

function trackFrom(w: ReturnType<typeof world>, iso: string) {
  trackingStart(w.kms, iso)
  w.kms.keys.set(w.k.keyId, { ...w.k, creationDate: new Date('2025-01-01T00:00:00Z') })
}

describe('retire --check', () => {
  it('disabled by retire, nobody refused since: clean, exit 0, with how long', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(12)
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'clean', disabledAt: '2026-11-29T00:00:00.000Z', disabledFrom: 'journal', soak: '12 days', refusedCallers: [], findings: [] })
  })

  it('a caller refused with DisabledException since: KEY_STILL_NEEDED, exit 3', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(3)
    w.call({ eventName: 'Decrypt', errorCode: 'DisabledException', keyIdRequested: 'alias/old' })
    w.call({ eventName: 'Decrypt', errorCode: 'DisabledException', eventTime: new Date(w.now().getTime() - 2 * DAY) })
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--json'])
    expect(code).toBe(3)
    const report = JSON.parse(stdout)
    expect(report.refusedCallers).toEqual([{ principal: APP, count: 2, lastSeen: '2026-12-01T00:00:00.000Z', operations: ['Decrypt'] }])
    expect(report.findings).toEqual([
      {
        code: 'KEY_STILL_NEEDED',
        severity: 'block',
        message: `${APP} was refused 2 times (Decrypt; last 2026-12-01T00:00:00.000Z) since the key was disabled: it still needs the key`,
      },
    ])
  })

  // Failed before the fix: "(…, from the cloudtrail)", the JSON value put in prose.
  it('disabled outside kms-alias, on a terminal: the source is named "CloudTrail"', async () => {
    const w = world()
    await w.kms.disableKey(w.k.keyId)
    w.later(8)
    const { code, stdout, stderr } = await w.cli(['retire', w.k.keyId, '--check', '--no-journal'], { tty: true })
    expect(code).toBe(0)
    expect(`${stdout}${stderr}`).toContain(`${w.k.keyId} was disabled 8 days ago (2026-11-29T00:00:00.000Z, from CloudTrail).`)
    expect(`${stdout}${stderr}`).toContain('Disabled since 2026-11-29T00:00:00.000Z (8 days; from CloudTrail)')
  })

  it('disabled outside kms-alias: the time comes from CloudTrail (--no-journal)', async () => {
    const w = world()
    await w.kms.disableKey(w.k.keyId)
    w.later(8)
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--json', '--no-journal'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ disabledAt: '2026-11-29T00:00:00.000Z', disabledFrom: 'cloudtrail', soak: '8 days' })
  })

  it.each([
    ['not disabled', (_w: ReturnType<typeof world>) => undefined, 'KEY_NOT_DISABLED'],
    ['disabled, but when is known neither from the journal nor CloudTrail', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled' }), 'SOAK_UNKNOWN'],
    // Failed before the fix: KEY_NOT_DISABLED, "retire --disable comes first", for a key that can never be disabled.
    ['AWS managed (as alias/aws/ebs)', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyManager: 'AWS' }), 'KEY_AWS_MANAGED'],
  ])('refused (exit 3) when %s', async (_name, setup, finding) => {
    const w = world()
    setup(w)
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual([finding])
  })
})

describe('retire --schedule-deletion', () => {
  it('after a clean soak: ScheduleKeyDeletion with --days; undo cancels it (the key stays Disabled, said), undo again enables it', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(8)
    const { code, stdout, stderr } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--days', '7', '--yes', '--json'])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'scheduled', deletionDate: '2026-12-14T00:00:00.000Z', disabledFrom: 'journal', soak: '8 days' })
    expect(w.state()).toBe('PendingDeletion')
    expect(w.kms.calls).toContain(`ScheduleKeyDeletion ${w.k.keyId} 7`)
    const undo = await w.cli(['undo', '--last', '--yes'])
    expect(undo.code).toBe(0)
    const [disable] = await journalOf({ env: { KMS_ALIAS_JOURNAL: w.journal } })
    expect(undo.stderr).toBe(
      `${w.k.keyId} is no longer pending deletion and stays Disabled, as KMS leaves a key whose deletion is cancelled; kms-alias undo ${disable?.id} enables it (it reverts the disable)\n`,
    )
    expect(w.state()).toBe('Disabled')
    expect((await w.cli(['undo', '--last', '--yes'])).code).toBe(0)
    expect(w.state()).toBe('Enabled')
    const actions = (await journalOf({ env: { KMS_ALIAS_JOURNAL: w.journal } })).map((e) => e.action)
    expect(actions).toEqual(['disable-key', 'schedule-key-deletion', 'cancel-key-deletion', 'enable-key'])
  })

  it.each([
    ['the soak is too short (disabled 2 days ago, --soak 7d)', 2, (_w: ReturnType<typeof world>) => undefined, 'SOAK_TOO_SHORT'],
    ['an alias was pointed at it since', 8, (w: ReturnType<typeof world>) => void w.kms.aliases.set('alias/back', w.k.keyId), 'KEY_HAS_ALIASES'],
    ['a caller was refused since', 8, (w: ReturnType<typeof world>) => void w.call({ errorCode: 'DisabledException' }), 'KEY_STILL_NEEDED'],
  ])('refused (exit 3) when %s: still Disabled', async (_name, days, setup, finding) => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(days)
    setup(w)
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual([finding])
    expect(w.state()).toBe('Disabled')
  })

  // Failed before the fix: a failed ListAliases ended the run as an AWS error (not a refusal).
  it('ListAliases throttled (fake KMS fault): ALIASES_UNKNOWN, exit 3, nothing scheduled', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(8)
    w.kms.listAliases = async () => {
      throw throttled('ListAliases')
    }
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual(['ALIASES_UNKNOWN'])
    expect(w.state()).toBe('Disabled')
    expect(w.kms.calls.filter((c) => c.startsWith('ScheduleKeyDeletion'))).toEqual([])
  })

  // Failed before the fix: the note said `undo --last` would enable the key, though the journal held no disable to undo.
  it('undo of a deletion scheduled for a key disabled outside kms-alias: the note names aws kms enable-key, not undo', async () => {
    const w = world()
    w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled' })
    w.call({ eventName: 'DisableKey', eventTime: new Date(w.now().getTime() - 20 * DAY) })
    expect((await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes'])).code).toBe(0)
    const undo = await w.cli(['undo', '--last', '--yes'])
    expect(undo.code).toBe(0)
    expect(undo.stderr).toBe(
      `${w.k.keyId} is no longer pending deletion and stays Disabled, as KMS leaves a key whose deletion is cancelled; no disable of it by kms-alias is left to undo in the journal: aws kms enable-key --key-id ${w.k.keyId} --region ${REGION} enables it\n`,
    )
    expect(w.state()).toBe('Disabled')
  })

  it('not disabled: KEY_NOT_DISABLED, exit 3; a --days outside 7 to 30 is a usage error', async () => {
    const w = world()
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.map((f: { code: string }) => f.code)).toEqual(['KEY_NOT_DISABLED'])
    const bad = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--days', '6'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--days must be a whole number of days from 7 to 30, not "6"')
  })

  it('no step, or two: a usage error', async () => {
    const w = world()
    expect((await w.cli(['retire', w.k.keyId])).code).toBe(2)
    expect((await w.cli(['retire', w.k.keyId, '--disable', '--check'])).stderr).toContain('give one of --disable, --check or --schedule-deletion')
  })
})

describe('retire: the key identifier', () => {
  // Failed before the fix: exit 4, "nope not found (Invalid keyId nope)", where update --to nope is exit 2 with the forms.
  it('a malformed key identifier is a usage error (exit 2), before any KMS call', async () => {
    const w = world()
    const { code, stderr } = await w.cli(['retire', 'nope', '--check'])
    expect(code).toBe(2)
    expect(stderr).toBe(
      'error: key "nope" is not a key identifier\nhint: give a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…), a key ARN, alias/<name> or an alias ARN\n',
    )
    expect(w.kms.calls).toEqual([])
  })

  // Failed before the fix: the alias was described and retired through, though --help says key ID, mrk- ID or key ARN.
  it('an alias is refused as a usage error (exit 2): an alias on the key blocks every step; the key stays Enabled', async () => {
    const w = world()
    w.kms.aliases.set('alias/app', w.k.keyId)
    const { code, stderr } = await w.cli(['retire', 'alias/app', '--disable', '--yes'])
    expect(code).toBe(2)
    expect(stderr).toBe(
      'error: retire takes the key itself (key ID, mrk- ID or key ARN), not an alias: "alias/app"\n' +
        'hint: an alias that still points to the key blocks every step; kms-alias usage "alias/app" names the key and its aliases\n',
    )
    expect(w.kms.calls).toEqual([])
    expect(w.state()).toBe('Enabled')
  })
})

const deniedTrail: CloudTrailPort = {
  keyEvents: async () => {
    throw new AccessError('CloudTrail LookupEvents was denied: AccessDeniedException: no')
  },
}

describe('retire: the remaining refusals', () => {
  // Failed before the fix: SOAK_UNKNOWN ("known neither from the journal nor from CloudTrail") although CloudTrail was not read whole.
  it('--check when --max-events cut CloudTrail off before the DisableKey event: SOAK_UNCHECKED naming --max-events, exit 3', async () => {
    const w = world()
    w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled' })
    w.call({ eventName: 'DisableKey', eventTime: new Date(w.now().getTime() - 20 * DAY) })
    for (const days of [3, 2, 1]) w.call({ eventName: 'DescribeKey', eventTime: new Date(w.now().getTime() - days * DAY) })
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--max-events', '2', '--no-journal', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings).toEqual([
      {
        code: 'SOAK_UNCHECKED',
        severity: 'block',
        message: `the soak cannot be checked: when ${w.k.keyId} was disabled cannot be told: --max-events 2 was reached before a DisableKey event was found; pass a larger --max-events`,
      },
    ])
  })

  it('--check with CloudTrail denied: SOAK_UNCHECKED, exit 3', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(8)
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--check', '--json'], { cloudtrail: deniedTrail })
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings).toEqual([
      { code: 'SOAK_UNCHECKED', severity: 'block', message: 'the soak cannot be checked: CloudTrail could not be read: CloudTrail LookupEvents was denied: AccessDeniedException: no' },
    ])
  })

  // Failed before the fix: a read-only check said "refused: SOAK_UNCHECKED" and "hint: see the findings; nothing was changed".
  it('--check with CloudTrail denied says "not clean: the soak cannot be checked" and what would make it checkable, exit 3', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(8)
    const { code, stderr } = await w.cli(['retire', w.k.keyId, '--check'], { cloudtrail: deniedTrail })
    expect(code).toBe(3)
    expect(stderr).toContain(
      'error: not clean: the soak cannot be checked (SOAK_UNCHECKED)\n' +
        "hint: it needs CloudTrail (cloudtrail:LookupEvents) and when the key was disabled (the journal's disable-key entry, or the DisableKey event in CloudTrail's 90 days); " +
        'where CloudTrail LookupEvents is missing (as on KMS emulators) it cannot pass\n',
    )
    expect(stderr).not.toContain('refused')
    expect(stderr).not.toContain('nothing was changed')
  })

  // Failed before the fix: the hint did not say that missing evidence, not use, blocked the step.
  it('--schedule-deletion with CloudTrail denied: refused, and the hint says it needs CloudTrail and cannot pass on emulators, exit 3', async () => {
    const w = world()
    await w.cli(['retire', w.k.keyId, '--disable', '--yes'])
    w.later(8)
    const { code, stderr } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes'], { cloudtrail: deniedTrail })
    expect(code).toBe(3)
    expect(stderr).toContain(
      'error: refused: SOAK_UNCHECKED\n' +
        "hint: see the findings; nothing was changed. --schedule-deletion needs a clean --check: it needs CloudTrail (cloudtrail:LookupEvents) and when the key was disabled (the journal's disable-key entry, or the DisableKey event in CloudTrail's 90 days); " +
        'where CloudTrail LookupEvents is missing (as on KMS emulators) it cannot pass\n',
    )
    expect(w.kms.keys.get(w.k.keyId)?.keyState).toBe('Disabled')
  })

  it.each([
    ['disabled outside kms-alias, no DisableKey in CloudTrail', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled' }), 'SOAK_UNKNOWN'],
    [
      'a multi-Region primary with replicas',
      (w: ReturnType<typeof world>) =>
        void w.kms.keys.set(w.k.keyId, {
          ...w.k,
          keyState: 'Disabled',
          multiRegion: true,
          multiRegionConfiguration: { keyType: 'PRIMARY', replicas: [{ arn: w.k.arn.replace(REGION, 'eu-west-1'), region: 'eu-west-1' }] },
        }),
      'KEY_HAS_REPLICAS',
    ],
    ['AWS managed', (w: ReturnType<typeof world>) => void w.kms.keys.set(w.k.keyId, { ...w.k, keyState: 'Disabled', keyManager: 'AWS' }), 'KEY_AWS_MANAGED'],
  ])('--schedule-deletion refused (exit 3) when %s: nothing scheduled', async (_name, setup, finding) => {
    const w = world()
    // Disabled by hand in the store (no DisableKey logged); CloudTrail dates it 20 days back unless the case says otherwise.
    setup(w)
    if (finding !== 'SOAK_UNKNOWN') w.call({ eventName: 'DisableKey', eventTime: new Date(w.now().getTime() - 20 * DAY) })
    const { code, stdout } = await w.cli(['retire', w.k.keyId, '--schedule-deletion', '--yes', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).findings.filter((f: { severity: string }) => f.severity === 'block').map((f: { code: string }) => f.code)).toEqual([finding])
    expect(w.kms.calls.filter((c) => c.startsWith('ScheduleKeyDeletion'))).toEqual([])
  })
})
