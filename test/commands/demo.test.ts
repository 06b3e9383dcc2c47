import { describe, expect, it } from 'vitest'
import { createMemoryKms, MemoryKmsStore } from '../../src/kms/memory.js'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
import { journalOf, line, run } from '../helpers/run.js'

/** A run of the demo on a fresh in-memory KMS (the test Context hands this port to every command). */
async function demo(args: string[] = [], options: Parameters<typeof run>[1] = {}) {
  // The store on the test's clock, so that the trail's times and GetKeyLastUsage's are fixed.
  const store = new MemoryKmsStore({ now: () => new Date('2026-11-29T00:00:00Z') })
  const kms = createMemoryKms(store)
  const result = await run(['demo', ...args], { kms, cloudtrail: (config) => createMemoryCloudTrail(store.trail, config), ...options })
  return { ...result, kms }
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/** The demo's key IDs, in the order it creates them, from the first lines of the text view. */
function keyIds(stdout: string): [string, string, string, string, string] {
  const ids = stdout.split('\n').slice(0, 5).map((l) => l.split('\t')[0] ?? '')
  for (const id of ids) expect(id).toMatch(new RegExp(`^${UUID}$`))
  return ids as [string, string, string, string, string]
}

describe('kms-alias demo', () => {
  it('text view: every step through the real commands, the refusal on stderr, exit 0, the alias back where it was', async () => {
    const { code, stdout, stderr, ctx, kms } = await demo()
    expect(code).toBe(0)
    const [rsa4096, rsa2048, payments, paymentsNext, retired] = keyIds(stdout)
    const journalId = /\n([0-9a-f]{16})\t/.exec(stdout)?.[1] ?? 'no journal id'
    const retireId = /\tdisabled\ttrue\t([0-9a-f]{16})\n/.exec(stdout)?.[1] ?? 'no journal id'
    expect(stdout).toBe(
      line(rsa4096, 'RSA_4096', 'SIGN_VERIFY', 'Enabled', 'release signing key', 'alias/demo/signing') +
        line(rsa2048, 'RSA_2048', 'SIGN_VERIFY', 'Enabled', 'smaller signing key', '-') +
        line(payments, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'payments key 2026', 'alias/demo/payments') +
        line(paymentsNext, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'payments key 2027', 'alias/demo/payments-next') +
        line(retired, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Disabled', 'retired key', 'alias/demo/retired') +
        // list
        line('alias/demo/payments', payments, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'CUSTOMER') +
        line('alias/demo/payments-next', paymentsNext, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', 'CUSTOMER') +
        line('alias/demo/retired', retired, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Disabled', 'CUSTOMER') +
        line('alias/demo/signing', rsa4096, 'RSA_4096', 'SIGN_VERIFY', 'Enabled', 'CUSTOMER') +
        line('refused', 'alias/demo/signing', rsa4096, rsa2048, 'false', 'false') +
        line('updated', 'alias/demo/payments', payments, paymentsNext, 'true', 'true') +
        line(journalId, '2026-11-29T00:00:00.000Z', 'update', 'alias/demo/payments', payments, paymentsNext, 'true', 'us-east-1', 'update') +
        line('updated', 'alias/demo/payments', paymentsNext, payments, 'true', 'true') +
        // usage, then retire refused, then retire of the idle key
        line(
          'verdict',
          'in-use',
          // The application's Encrypt and Decrypt, and the use probes of steps 4 and 6 (6 calls): CloudTrail shows those as the operator's use.
          'GetKeyLastUsage: last used by Decrypt on 2026-11-29T00:00:00.000Z (less than a day ago); CloudTrail: 8 successful cryptographic calls by 1 caller since 2026-10-30; alias/demo/payments points to the key: callers that name the alias use it',
        ) +
        line('last-use', 'us-east-1', 'used', '2026-11-29T00:00:00.000Z', 'Decrypt') +
        line(
          'caller',
          'arn:aws:iam::111122223333:user/you',
          'CreateAlias,Decrypt,DescribeKey,Encrypt,GetKeyLastUsage,GetKeyPolicy,GetKeyRotationStatus,ListAliases,ListGrants,ListResourceTags,UpdateAlias',
          '30',
          '2026-11-29T00:00:00.000Z',
          '2026-11-29T00:00:00.000Z',
          'alias/demo/payments,key ID',
          '-',
        ) +
        line('alias', 'us-east-1', 'alias/demo/payments') +
        line('disable', payments, 'refused', 'false', '-') +
        line('finding', 'KEY_HAS_ALIASES', 'block', `alias/demo/payments still points to ${payments}: move or delete it first (kms-alias update, delete)`) +
        line(
          'finding',
          'KEY_RECENTLY_USED',
          'block',
          'used within --idle-for 30d: GetKeyLastUsage: last used by Decrypt on 2026-11-29T00:00:00.000Z (less than a day ago); CloudTrail: 8 successful cryptographic calls by 1 caller since 2026-10-30',
        ) +
        line('disable', rsa2048, 'disabled', 'true', retireId) +
        // retire --check: clean; --schedule-deletion --dry-run: the soak has only begun
        line('check', rsa2048, 'clean', 'false', '-') +
        line('schedule-deletion', rsa2048, 'refused', 'false', '-') +
        line('finding', 'SOAK_TOO_SHORT', 'block', `${rsa2048} was disabled on 2026-11-29T00:00:00.000Z, 0d ago, less than the --soak 7d: wait, then kms-alias retire ${rsa2048} --check`) +
        // audit
        line(
          'error',
          'ALIAS_ON_DISABLED_KEY',
          '111122223333',
          'us-east-1',
          'alias/demo/retired',
          retired,
          `alias/demo/retired points to ${retired}, which is Disabled: every call through alias/demo/retired fails`,
        ) +
        // The last act: the new key disabled as the alias moves to it; the probe fails, the change is put back.
        line('rolled-back', 'alias/demo/payments', payments, paymentsNext, 'false', 'true'),
    )
    expect(stderr).toBe(
      [
        'kms-alias demo: a tour on an in-memory KMS in us-east-1. Nothing here reaches AWS, and nothing is kept after this process.',
        'Every command below runs with --endpoint-url memory: and a temporary journal.',
        '',
        '[1/13] First, the demo creates five keys in the in-memory KMS (RSA_4096 and RSA_2048 signing keys, two symmetric keys and a disabled one) and puts aliases on four of them.',
        '',
        '[2/13] `list` shows every alias with the spec, usage, state and manager of its key.',
        '$ kms-alias list',
        '',
        '[3/13] Moving alias/demo/signing from the RSA_4096 key to the RSA_2048 key is a change KMS itself accepts, but every signature made through the alias would change, so the preflight refuses it.',
        `$ kms-alias update alias/demo/signing --to ${rsa2048} --yes`,
        '✗ block KEY_SPEC_MISMATCH the key spec changes from RSA_4096 to RSA_2048; KMS allows this but callers may fail (pass --allow-spec-change once callers are ready)',
        `! warn  OLD_ARTIFACTS_NEED_OLD_KEY Verify through the alias fails for signatures made under ${rsa4096}: callers must keep using that key ID for them`,
        'error: refused by the preflight: KEY_SPEC_MISMATCH',
        'hint: see the findings; nothing was changed',
        `alias/demo/signing still points to ${rsa4096} (RSA_4096): nothing was changed.`,
        '',
        '[4/13] Moving alias/demo/payments to the next symmetric key is safe, so kms-alias makes the change, confirms it with ListAliases and records how to undo it.',
        '$ kms-alias update alias/demo/payments --to alias/demo/payments-next --yes',
        `! warn  PREVIOUS_KEY_ORPHANED after this change no alias points to ${payments}; keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)`,
        '',
        '[5/13] `history` lists the changes kms-alias made, newest first, from its journal.',
        '$ kms-alias history',
        '',
        '[6/13] `undo` reverts the last change through the same preflight, and only if the alias has not moved since.',
        '$ kms-alias undo --last --yes',
        '',
        '[7/13] An application has just encrypted and decrypted through alias/demo/payments. `usage` gathers the evidence of use: GetKeyLastUsage, the callers CloudTrail logged, the aliases, and a verdict.',
        '$ kms-alias usage alias/demo/payments',
        '',
        '[8/13] `retire --disable` refuses a key that an alias points to or that was used within --idle-for (30 days): disabling it would break its callers.',
        `$ kms-alias retire ${payments} --disable --yes`,
        'error: refused: KEY_HAS_ALIASES, KEY_RECENTLY_USED',
        'hint: see the findings; nothing was changed',
        '',
        '[9/13] The RSA_2048 key has no alias and was never used, so it is disabled: journaled, undone by `kms-alias undo`.',
        `$ kms-alias retire ${rsa2048} --disable --yes`,
        '',
        '[10/13] `retire --check` lists every caller that KMS refused because the key is disabled, since it was disabled (the journal, or the DisableKey event in CloudTrail, says when). None yet: the soak is clean so far.',
        `$ kms-alias retire ${rsa2048} --check`,
        '',
        '[11/13] `retire --schedule-deletion` waits for a soak of --soak (7 days) with a clean check; minutes are not enough, so even this --dry-run is refused. After the soak it schedules the deletion, which `undo` cancels.',
        `$ kms-alias retire ${rsa2048} --schedule-deletion --dry-run`,
        'error: refused: SOAK_TOO_SHORT',
        'hint: see the findings; nothing was changed',
        '',
        '[12/13] `audit` reads every alias, describes each key once and reports the aliases that will break: alias/demo/retired points to a disabled key, an error, so it exits 3 as a scheduled CI job would fail.',
        '$ kms-alias audit',
        'Audited 1 partition, 5 aliases, 4 keys: 1 error, 0 warnings, 0 info',
        '',
        '[13/13] After a change kms-alias uses the alias as its callers would (here Encrypt and Decrypt). In this act another team disables the new key just as the alias moves to it: using the alias fails, so kms-alias rolls the change back by itself and exits 9.',
        '$ kms-alias update alias/demo/payments --to alias/demo/payments-next --yes',
        `! warn  PREVIOUS_KEY_ORPHANED after this change no alias points to ${payments}; keep that key enabled to decrypt or verify what was made with it (kms-alias usage shows who still uses it; kms-alias retire disables, then deletes it, in stages)`,
        `error: the change was made and confirmed, but using alias/demo/payments failed: Encrypt/Decrypt answered DisabledException (KMS refused Encrypt alias/demo/payments: DisabledException: arn:aws:kms:us-east-1:111122223333:key/${paymentsNext} is disabled.) after 1 attempt; it was rolled back`,
        'hint: find out why the new key cannot be used (key policy, grants, key state) before retrying',
        `alias/demo/payments points to ${payments} again (the rollback held).`,
        '',
        'That was the whole tool. The in-memory KMS is gone with this process; against AWS, start with: kms-alias list --region <your Region>',
        '',
      ].join('\n'),
    )
    expect((await kms.describeKey('alias/demo/payments')).keyId).toBe(payments)
    expect((await kms.describeKey('alias/demo/signing')).keyId).toBe(rsa4096)
    // The act of issue 21: the key in use left alone, the idle one disabled.
    expect((await kms.describeKey(payments)).keyState).toBe('Enabled')
    expect((await kms.describeKey(rsa2048)).keyState).toBe('Disabled')
    // Its journal was a temporary file: the user's journal (KMS_ALIAS_JOURNAL here) is untouched.
    // Tried once: without --journal <temporary file> in the demo's commands this finds their entries.
    expect(await journalOf(ctx)).toEqual([])
  })

  it('JSON view: one document with each step, the refusal findings, the undo command, and the undo itself', async () => {
    const { code, stdout, kms } = await demo(['--json'])
    expect(code).toBe(0)
    const doc = JSON.parse(stdout)
    const [rsa4096, rsa2048, payments, paymentsNext] = doc.steps[0].output.keys.map((k: { keyId: string }) => k.keyId)
    expect(doc.steps.map((s: { step: number; command: string | null; exitCode: number }) => [s.step, s.command, s.exitCode])).toEqual([
      [1, null, 0],
      [2, 'kms-alias list', 0],
      [3, `kms-alias update alias/demo/signing --to ${rsa2048} --yes`, 3],
      [4, 'kms-alias update alias/demo/payments --to alias/demo/payments-next --yes', 0],
      [5, 'kms-alias history', 0],
      [6, 'kms-alias undo --last --yes', 0],
      [7, 'kms-alias usage alias/demo/payments', 0],
      [8, `kms-alias retire ${payments} --disable --yes`, 3],
      [9, `kms-alias retire ${rsa2048} --disable --yes`, 0],
      [10, `kms-alias retire ${rsa2048} --check`, 0],
      [11, `kms-alias retire ${rsa2048} --schedule-deletion --dry-run`, 3],
      [12, 'kms-alias audit', 3],
      [13, 'kms-alias update alias/demo/payments --to alias/demo/payments-next --yes', 9],
    ])
    expect(doc.steps[6].output).toMatchObject({ verdict: 'in-use', lastUse: [{ answer: 'used', operation: 'Decrypt' }], aliases: [{ name: 'alias/demo/payments' }] })
    expect(doc.steps[7].output).toMatchObject({ step: 'disable', outcome: 'refused', exitCode: 3 })
    expect(doc.steps[8].output).toMatchObject({ step: 'disable', outcome: 'disabled', changed: true, usage: { verdict: 'idle' } })
    expect(doc).toMatchObject({ region: 'us-east-1', endpointUrl: 'memory:', exitCode: 0, error: null })
    expect(doc.steps[1].output.map((r: { alias: string }) => r.alias)).toEqual(['alias/demo/payments', 'alias/demo/payments-next', 'alias/demo/retired', 'alias/demo/signing'])
    expect(doc.steps[2].output).toMatchObject({ outcome: 'refused', changed: false, exitCode: 3, error: { code: 'REFUSED', message: 'refused by the preflight: KEY_SPEC_MISMATCH' } })
    expect(doc.steps[2].output.findings.map((f: { code: string; severity: string }) => `${f.severity} ${f.code}`)).toEqual(['block KEY_SPEC_MISMATCH', 'warn OLD_ARTIFACTS_NEED_OLD_KEY'])
    expect(doc.steps[3].output).toMatchObject({
      outcome: 'updated',
      changed: true,
      verified: true,
      undo: `kms-alias update alias/demo/payments --to ${payments} --expect-current ${paymentsNext} --region us-east-1 --endpoint-url memory:`,
    })
    expect(doc.steps[4].output).toMatchObject([{ action: 'update', alias: 'alias/demo/payments', previousKeyId: payments, newKeyId: paymentsNext }])
    expect(doc.steps[5].output).toMatchObject({ outcome: 'updated', previous: { keyId: paymentsNext }, target: { keyId: payments } })
    // The closing audit of the demo's own store: the retired key's alias, and nothing else.
    expect(doc.steps[9].output).toMatchObject({ step: 'check', outcome: 'clean', disabledFrom: 'journal', refusedCallers: [], exitCode: 0 })
    expect(doc.steps[10].output).toMatchObject({ step: 'schedule-deletion', dryRun: true, outcome: 'refused', exitCode: 3 })
    expect(doc.steps[11].output).toMatchObject({ summary: { partitions: 1, aliases: 5, keys: 4, findings: { error: 1, warn: 0, info: 0 } }, exitCode: 3 })
    expect(doc.steps[11].output.findings.map((f: { code: string; alias: string }) => `${f.code} ${f.alias}`)).toEqual(['ALIAS_ON_DISABLED_KEY alias/demo/retired'])
    // The demo shows a probe, and a change whose probe fails and is rolled back by itself.
    expect(doc.steps[3].output.probe).toMatchObject({ operation: 'Encrypt/Decrypt', before: 'ok', after: 'ok', keyIdSeen: paymentsNext })
    expect(doc.steps[12].output).toMatchObject({ outcome: 'rolled-back', changed: false, probe: { after: 'failed', rolledBack: true }, error: { code: 'USE_FAILED' } })
    expect((await kms.describeKey('alias/demo/signing')).keyId).toBe(rsa4096)
    expect((await kms.describeKey('alias/demo/payments')).keyId).toBe(payments)
  })

  it('JSON view, stopped by Ctrl-C at its first KMS call: still one document, exit 130', async () => {
    const interrupted = new AbortController()
    interrupted.abort()
    const r = await run(['demo', '--json'], { kms: createMemoryKms(new MemoryKmsStore(), { signal: interrupted.signal }) })
    expect(r.code).toBe(130)
    expect(JSON.parse(r.stdout)).toEqual({ region: 'us-east-1', endpointUrl: 'memory:', steps: [], exitCode: 130, error: { code: 'INTERRUPTED', message: 'interrupted' } })
    expect(r.stderr.endsWith('\nerror: interrupted\n')).toBe(true)
  })

  it('table view on a terminal: the plan, the result with its undo command; --step waits for Enter before steps 2 to 13', async () => {
    const { code, stdout, ctx, kms } = await demo(['--step'], { tty: true, env: { NO_COLOR: '1' }, answers: Array(12).fill('') })
    expect(code).toBe(0)
    expect(ctx.prompts).toEqual(Array(12).fill('Press Enter for the next step (Ctrl-C stops).'))
    const payments = (await kms.describeKey('alias/demo/payments')).keyId
    const paymentsNext = (await kms.describeKey('alias/demo/payments-next')).keyId
    expect(stdout).toContain(`│ key spec     │ RSA_4096                             │ RSA_2048                             │ ✗ blocked │`)
    expect(stdout).toContain(
      `✓ Updated alias/demo/payments: ${payments} → ${paymentsNext} (confirmed with ListAliases).\nUndo: kms-alias update alias/demo/payments --to ${payments} --expect-current ${paymentsNext} --region us-east-1 --endpoint-url memory:\n` +
        `✓ Use probe: Encrypt/Decrypt through the alias answered by ${paymentsNext}, 1 attempt.\n`,
    )
    expect(stdout).toContain(`✓ Updated alias/demo/payments: ${paymentsNext} → ${payments} (confirmed with ListAliases).`)
  })

  it('--step off a terminal warns once and runs straight through', async () => {
    const { code, stderr, ctx } = await demo(['--step'])
    expect(code).toBe(0)
    expect(ctx.prompts).toEqual([])
    expect(stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual(['warning: --step waits for Enter only on a terminal and not with --json; running straight through'])
  })

  it('--no-journal: no history step, and the undo is the command update printed', async () => {
    const { code, stdout, stderr, ctx, kms } = await demo(['--no-journal'])
    expect(code).toBe(0)
    const [, , payments, paymentsNext] = keyIds(stdout)
    expect(stdout).toContain(line('updated', 'alias/demo/payments', payments, paymentsNext, 'true', 'true') + line('updated', 'alias/demo/payments', paymentsNext, payments, 'true', 'true'))
    // Without a journal retire still disables the idle key, and has no entry to name; the audit closes the tour.
    const [, rsa2048, , , retired] = keyIds(stdout)
    expect(
      stdout.endsWith(
        `\tdisabled\ttrue\t-\n` +
          `check\t${rsa2048}\tclean\tfalse\t-\n` +
          `schedule-deletion\t${rsa2048}\trefused\tfalse\t-\n` +
          `finding\tSOAK_TOO_SHORT\tblock\t${rsa2048} was disabled on 2026-11-29T00:00:00.000Z, 0d ago, less than the --soak 7d: wait, then kms-alias retire ${rsa2048} --check\n` +
          `error\tALIAS_ON_DISABLED_KEY\t111122223333\tus-east-1\talias/demo/retired\t${retired}\talias/demo/retired points to ${retired}, which is Disabled: every call through alias/demo/retired fails\n` +
          line('rolled-back', 'alias/demo/payments', payments, paymentsNext, 'false', 'true'),
      ),
    ).toBe(true)
    expect(stderr).toContain('[5/13] With --no-journal there is no history to show, so the demo skips `history`.\n')
    expect(stderr).toContain(`$ kms-alias update alias/demo/payments --to ${payments} --expect-current ${paymentsNext} --yes\n`)
    expect((await kms.describeKey('alias/demo/payments')).keyId).toBe(payments)
    expect(await journalOf(ctx)).toEqual([])
  })

  it.each([
    [['--journal', 'journal.jsonl'], 'error: the demo keeps its journal in a temporary file of its own\nhint: drop --journal (or pass --no-journal)\n'],
    [['--endpoint-url', 'http://127.0.0.1:4566'], 'error: the demo runs only on the in-memory KMS, not on http://127.0.0.1:4566\nhint: drop --endpoint-url\n'],
  ])('refuses %j (exit 2) before touching any KMS', async (args, stderr) => {
    const result = await demo(args)
    expect(result).toMatchObject({ code: 2, stdout: '', stderr })
    expect(result.ctx.kmsConfigs).toEqual([])
  })
})
