// --role-arn, --role-session-name and --external-id: checked here, before any call, against the
// formats STS's AssumeRole accepts, so a typo is a usage error and not an AccessDenied later.
import { UsageError } from './errors.js'
import type { AssumeRoleConfig } from './kms/port.js'

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
export function parseRoleOptions(raw: { roleArn?: string | undefined; roleSessionName?: string | undefined; externalId?: string | undefined }): AssumeRoleConfig | undefined {
  if (raw.roleArn === undefined) {
    const orphan = raw.roleSessionName !== undefined ? '--role-session-name' : raw.externalId !== undefined ? '--external-id' : undefined
    if (orphan) throw new UsageError(`${orphan} needs --role-arn`)
    return undefined
  }
  if (!ROLE_ARN.test(raw.roleArn)) {
    throw new UsageError(`--role-arn "${raw.roleArn}" is not an IAM role ARN`, 'a role ARN looks like arn:aws:iam::111122223333:role/kms-alias-operator')
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
