// The only module that imports @aws-sdk/client-iam, loaded with import() and only with --iam.
import { IAMClient, paginateGetAccountAuthorizationDetails } from '@aws-sdk/client-iam'
import { AccessError, AwsError, CliError, interruptedBy } from '../errors.js'
import { sdkClientConfig, sendOptions } from '../kms/client.js'
import type { IamConfig, IamPort, IdentityPolicy } from './port.js'

// GetAccountAuthorizationDetails' maximum page size.
const PAGE_SIZE = 1000
// AWS managed policies are left out: they name no key of this account, and there are over a thousand.
const FILTER = ['User', 'Role', 'Group', 'LocalManagedPolicy'] as const

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
])

export function createIamPort(config: IamConfig): IamPort {
  // The KMS adapter's settings, the assumed role's credentials included: IAM is read in the account
  // the run acts on. No endpoint option: the SDK reads AWS_ENDPOINT_URL_IAM, then AWS_ENDPOINT_URL,
  // itself, and --endpoint-url names the KMS endpoint only.
  const client = new IAMClient(sdkClientConfig(config))
  return {
    async identityPolicies() {
      const started = performance.now()
      try {
        const policies: IdentityPolicy[] = []
        const pages = paginateGetAccountAuthorizationDetails({ client, pageSize: PAGE_SIZE }, { Filter: [...FILTER] }, sendOptions(config))
        for await (const page of pages) {
          if (config.signal?.aborted) throw interruptedBy(config.signal)
          for (const user of page.UserDetailList ?? []) for (const p of user.UserPolicyList ?? []) policies.push(inline(`user/${user.UserName}`, p))
          for (const group of page.GroupDetailList ?? []) for (const p of group.GroupPolicyList ?? []) policies.push(inline(`group/${group.GroupName}`, p))
          for (const role of page.RoleDetailList ?? []) for (const p of role.RolePolicyList ?? []) policies.push(inline(`role/${role.RoleName}`, p))
          for (const policy of page.Policies ?? []) {
            const version = policy.PolicyVersionList?.find((v) => v.IsDefaultVersion)
            if (version?.Document) policies.push({ source: `managed policy ${policy.Arn}`, document: decode(version.Document) })
          }
        }
        config.debug?.(`GetAccountAuthorizationDetails (all pages): ok in ${Math.round(performance.now() - started)} ms`)
        return policies
      } catch (error) {
        config.debug?.(
          `GetAccountAuthorizationDetails (all pages): ${error instanceof Error ? error.name : 'Error'} in ${Math.round(performance.now() - started)} ms`,
        )
        throw translate(error, config.signal)
      }
    },
  }
}

const inline = (owner: string, p: { PolicyName?: string | undefined; PolicyDocument?: string | undefined }): IdentityPolicy => ({
  source: `${owner}, inline policy ${p.PolicyName ?? '?'}`,
  document: decode(p.PolicyDocument ?? '{}'),
})

// IAM returns policy documents URL-encoded (RFC 3986); the SDK passes them on as they are.
function decode(document: string): string {
  try {
    return decodeURIComponent(document)
  } catch {
    return document
  }
}

function translate(error: unknown, signal: AbortSignal | undefined): unknown {
  if (error instanceof CliError) return error
  if (!(error instanceof Error)) return error
  // The signal's own reason: SIGTERM and SIGHUP keep their exit codes (143, 129).
  if (error.name === 'AbortError' || signal?.aborted) return interruptedBy(signal)
  if (DENIED.has(error.name)) return new AccessError(`GetAccountAuthorizationDetails was denied: ${error.name}: ${error.message}`)
  if (error.name === 'CredentialsProviderError') return new AccessError('no AWS credentials were found')
  const code = (error as { code?: unknown }).code
  if ('$metadata' in error || typeof code === 'string' || error.name === 'TimeoutError') {
    return new AwsError(`GetAccountAuthorizationDetails failed: ${error.name}${error.message ? `: ${error.message}` : ''}`, error.name)
  }
  return error
}
