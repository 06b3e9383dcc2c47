import { CliError, Exit, UsageError } from '../errors.js'
import type { JournalEntry } from './journal.js'
import type { GlobalOptions } from '../cli/globalOptions.js'
import { aliasAccountFindings } from '../preflight/rules.js'
import { roleAccount } from '../cli/roles.js'
import { parseArn } from '../kms/identifiers.js'
import type { KmsPort } from '../kms/port.js'

/** The account the user asked for: the account of --role-arn, when given. */
export function requestedAccount(globals: Pick<GlobalOptions, 'role'>): string | undefined {
  return globals.role ? roleAccount(globals.role.arn) : undefined
}

/**
 * With --role-arn, refuses (exit 3, ALIAS_OTHER_ACCOUNT) when the calls act on another account
 * than the role's. The account comes from ARNs KMS already returned when there are any, else from
 * one STS GetCallerIdentity. Without --role-arn nothing was asked for, so nothing is checked.
 */
export async function checkAccount(kms: KmsPort, globals: Pick<GlobalOptions, 'role'>, knownArns: readonly (string | undefined)[] = []): Promise<void> {
  const expected = requestedAccount(globals)
  if (expected === undefined) return
  const fromArn = knownArns.map((arn) => (arn === undefined ? undefined : parseArn(arn)?.account)).find((a) => a !== undefined)
  const actual = fromArn ?? (await kms.accountId())
  const [finding] = aliasAccountFindings(expected, actual)
  if (finding)
    throw new CliError(
      `refused (${finding.code}): ${finding.message}`,
      Exit.Refused,
      `--role-arn ${globals.role?.arn} should act on ${expected}; check the STS endpoint (AWS_ENDPOINT_URL_STS) and the role`,
    )
}

/**
 * An entry made in another account is undone there only: the credentials (or --role-arn's role)
 * must act on the entry's account. Asked before the preflight, whose reads in the wrong account
 * would only say "not found"; the caller's account comes from --role-arn, else STS GetCallerIdentity
 * (the preflight's ALIAS_OTHER_ACCOUNT rule checks it against the keys as well). Not asked when
 * KMS is an emulator and STS is not pointed anywhere: that call would carry the emulator's test
 * credentials to AWS's real STS.
 */
export async function checkEntryAccount(
  entry: Pick<JournalEntry, 'id' | 'alias' | 'account'>,
  env: Readonly<Record<string, string | undefined>>,
  where: GlobalOptions,
  kms: () => Promise<KmsPort>,
): Promise<void> {
  if (!entry.account) return
  const asked = requestedAccount(where)
  const kmsElsewhere = where.endpointUrl ?? env.AWS_ENDPOINT_URL_KMS
  if (asked === undefined && kmsElsewhere && !env.AWS_ENDPOINT_URL_STS && !env.AWS_ENDPOINT_URL) return
  const actual = asked ?? (await (await kms()).accountId())
  if (actual === entry.account) return
  throw new UsageError(
    `entry ${entry.id} changed ${entry.alias} in account ${entry.account}, but ${asked ? `--role-arn acts on account ${asked}` : `these credentials act on account ${actual}`}; nothing was changed`,
    `undo acts in the entry's account: pass --role-arn arn:aws:iam::${entry.account}:role/<role> (with --role-session-name and --external-id as that role needs)`,
  )
}
