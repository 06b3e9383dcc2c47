import type { AwsSettings } from '../kms/port.js'

/** An IAM identity policy document, decoded, and where it comes from (for messages). */
export interface IdentityPolicy {
  /** e.g. "role/app, inline policy read-keys" or "managed policy arn:aws:iam::111122223333:policy/keys". */
  source: string
  /** The policy document as JSON text. */
  document: string
}

/** What kms-alias reads from IAM (only with --iam). Implemented by iam/client.ts and by test fakes. */
export interface IamPort {
  /**
   * GetAccountAuthorizationDetails across every page: the inline policies of users, groups and
   * roles, and the default version of each customer managed policy.
   */
  identityPolicies(): Promise<IdentityPolicy[]>
}

/**
 * The same settings as KMS's, role included (IAM is read in the account the run acts on); the
 * endpoint comes from AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL.
 */
export type IamConfig = AwsSettings
