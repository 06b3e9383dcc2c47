// Preloaded with `node --import` into a CLI that must not load the AWS SDK. The published CLI is a
// bundle, so the SDK arrives inside one of its chunks rather than as an @aws-sdk/ module: a module
// whose source holds KMS's wire protocol name (TrentService, in every X-Amz-Target the SDK sends)
// fails to load with "the AWS SDK was loaded: @aws-sdk/client-kms (<file>)", one that holds
// CloudTrail's (CloudTrail_20131101) likewise; resolving an
// @aws-sdk/ module fails the same way when running unbundled.
import { register } from 'node:module'

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/')) throw new Error('the AWS SDK was loaded: ' + specifier)
  return next(specifier, context)
}
export async function load(url, context, next) {
  const result = await next(url, context)
  const source = result.source == null ? '' : String(result.source)
  if (url.startsWith('file:') && source.includes('TrentService')) throw new Error('the AWS SDK was loaded: @aws-sdk/client-kms (' + url + ')')
  if (url.startsWith('file:') && source.includes('CloudTrail_20131101')) throw new Error('the AWS SDK was loaded: @aws-sdk/client-cloudtrail (' + url + ')')
  return result
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
