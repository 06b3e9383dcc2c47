/**
 * KMS's default key policy (what CreateKey applies without a Policy): the key's account, through
 * IAM, may do everything with the key. Used by the in-memory KMS and by rotate's plan.
 */
export function defaultKeyPolicy(accountId: string, partition = 'aws'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
    ],
  })
}
