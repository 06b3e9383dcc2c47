import { CliError, Exit } from '../errors.js'
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
