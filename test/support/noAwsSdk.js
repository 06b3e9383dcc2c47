// Preloaded with `node --import` into a CLI that must not load the AWS SDK: resolving any
// @aws-sdk/ module fails with "the AWS SDK was loaded: <module>".
import { register } from 'node:module'

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/')) throw new Error('the AWS SDK was loaded: ' + specifier)
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
