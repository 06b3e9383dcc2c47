// --role-arn, --role-session-name and --external-id: checked here, before any call, against the
// formats STS's AssumeRole accepts, so a typo is a usage error and not an AccessDenied later.
import { UsageError } from '../errors.js'
import type { AssumeRoleConfig } from '../kms/port.js'

export const DEFAULT_ROLE_SESSION_NAME = 'kms-alias'

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/[\w+=,.@/-]+$/
// AssumeRole's RoleSessionName: 2 to 64 of letters, digits and _+=,.@-
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/
// AssumeRole's ExternalId: 2 to 1224 of letters, digits and _+=,.@:/-
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/

/** The account a role ARN belongs to: the account every call acts on when that role is assumed. */
export function roleAccount(roleArn: string): string | undefined {
  return ROLE_ARN.exec(roleArn)?.[2]
}

/** The role to assume, or undefined when --role-arn is not given; companions alone are usage errors. */
export function parseRoleOptions(
  raw: {
    roleArn?: string | undefined
    roleSessionName?: string | undefined
    externalId?: string | undefined
    roleName?: string | undefined
  },
  /** The option the role ARN came from, for the usage error. */
  flag = '--role-arn',
): AssumeRoleConfig | undefined {
  if (raw.roleArn === undefined) {
    // apply's --role-name takes the companions for the role it assumes in each account.
    if (raw.roleName !== undefined) return undefined
    const orphan = raw.roleSessionName !== undefined ? '--role-session-name' : raw.externalId !== undefined ? '--external-id' : undefined
    if (orphan) throw new UsageError(`${orphan} needs --role-arn`)
    return undefined
  }
  if (!ROLE_ARN.test(raw.roleArn)) {
    throw new UsageError(`${flag} "${raw.roleArn}" is not an IAM role ARN`, 'a role ARN looks like arn:aws:iam::111122223333:role/kms-alias-operator')
  }
  const sessionName = raw.roleSessionName ?? DEFAULT_ROLE_SESSION_NAME
  if (!SESSION_NAME.test(sessionName)) {
    throw new UsageError(`--role-session-name "${sessionName}" is not a session name`, 'use 2 to 64 letters, digits or _+=,.@-')
  }
  if (raw.externalId !== undefined && !EXTERNAL_ID.test(raw.externalId)) {
    // The value itself is not repeated: an external ID is a shared secret of sorts.
    throw new UsageError('--external-id is not an external ID', 'use 2 to 1224 letters, digits or _+=,.@:/-')
  }
  return { arn: raw.roleArn, sessionName, ...(raw.externalId === undefined ? {} : { externalId: raw.externalId }) }
}

/** apply --role-name: a role of that name is assumed in each account an entry names. */
export interface RoleNameConfig {
  name: string
  sessionName: string
  externalId?: string
}

// An IAM role name, with an optional path: letters, digits and _+=,.@- (and / between path parts).
const ROLE_NAME = /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/

/** --role-name and its companions; --role-arn with it is a usage error (one way to pick credentials per account). */
export function parseRoleNameOptions(raw: {
  roleName?: string | undefined
  roleArn?: string | undefined
  roleSessionName?: string | undefined
  externalId?: string | undefined
}): RoleNameConfig | undefined {
  if (raw.roleName === undefined) return undefined
  if (raw.roleArn !== undefined)
    throw new UsageError(
      '--role-name and --role-arn cannot be used together',
      '--role-arn acts in one account; --role-name assumes a role of that name in each account the file names',
    )
  if (!ROLE_NAME.test(raw.roleName))
    throw new UsageError(
      `--role-name "${raw.roleName}" is not an IAM role name`,
      'a role name looks like kms-alias-operator (a path may come before it: ops/kms-alias-operator)',
    )
  const { sessionName, externalId } = parseRoleOptions({
    roleArn: 'arn:aws:iam::000000000000:role/check',
    roleSessionName: raw.roleSessionName,
    externalId: raw.externalId,
  }) as AssumeRoleConfig
  return { name: raw.roleName, sessionName, ...(externalId === undefined ? {} : { externalId }) }
}

/** The AWS partition of a Region: role ARNs in China and GovCloud have their own. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

/** The role --role-name names in `account`. */
export function roleInAccount(config: RoleNameConfig, account: string, region: string): AssumeRoleConfig {
  return {
    arn: `arn:${partitionOf(region)}:iam::${account}:role/${config.name}`,
    sessionName: config.sessionName,
    ...(config.externalId === undefined ? {} : { externalId: config.externalId }),
  }
}
