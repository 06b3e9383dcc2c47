// The only module that imports @aws-sdk/client-cloudtrail, loaded with import() and only by the
// commands that read CloudTrail (usage, retire, --callers).
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { AccessError, AwsError, CliError, interruptedBy } from '../errors.js'
import { sdkClientConfig, sendOptions } from '../kms/client.js'
import { createPacer } from '../kms/pacer.js'
import { ACCESS_ERROR_NAMES, attemptsOf, messageOf, nameOf, NO_ERROR_NAME, unreadableAnswer } from '../kms/translate.js'
import { lookUpKeyEvents, LOOKUPS_PER_SECOND } from './lookup.js'
import type { CloudTrailConfig, CloudTrailPort } from './port.js'

export function createCloudTrailPort(config: CloudTrailConfig): CloudTrailPort {
  // The KMS adapter's settings, the assumed role's credentials included. No endpoint option: the
  // SDK reads AWS_ENDPOINT_URL_CLOUDTRAIL, then AWS_ENDPOINT_URL, then the profile's
  // services/endpoint_url itself, and --endpoint-url names the KMS endpoint only.
  const client = new CloudTrailClient(sdkClientConfig(config))
  // One port per (Region, role), so per account and Region: the unit of CloudTrail's quota.
  const pace = createPacer(LOOKUPS_PER_SECOND, config.clock.now, config.clock.sleep, config.signal)
  return {
    async keyEvents(query) {
      return lookUpKeyEvents(
        async (request) => {
          const started = performance.now()
          const subject = `ResourceName=${query.resourceName}${request.NextToken ? ' (next page)' : ''}`
          try {
            const out = await client.send(new LookupEventsCommand(request), sendOptions(config))
            config.debug?.(`LookupEvents ${subject}: ok in ${Math.round(performance.now() - started)} ms${attemptsOf(out)}`)
            return out
          } catch (error) {
            config.debug?.(`LookupEvents ${subject}: ${nameOf(error)} in ${Math.round(performance.now() - started)} ms${attemptsOf(error)}`)
            throw translate(error, config.signal, subject)
          }
        },
        pace,
        query,
        config.signal,
      )
    },
  }
}

function translate(error: unknown, signal: AbortSignal | undefined, subject: string): unknown {
  if (error instanceof CliError) return error
  if (!(error instanceof Error)) return error
  // The signal's own reason: SIGTERM and SIGHUP keep their exit codes (143, 129).
  if (error.name === 'AbortError' || signal?.aborted) return interruptedBy(signal)
  const name = nameOf(error)
  if (ACCESS_ERROR_NAMES.has(name) || name === 'AccessDenied')
    return new AccessError(`CloudTrail LookupEvents was denied: ${name}: ${messageOf(error)}`, 'the caller needs cloudtrail:LookupEvents')
  if (name === 'CredentialsProviderError') return new AccessError('no AWS credentials were found')
  // Worded as the KMS adapter words it: the SDK's own message for such an answer is parser noise.
  const answer = unreadableAnswer(error, name, messageOf(error))
  if (answer) {
    return new AwsError(
      `CloudTrail answered LookupEvents ${subject} with HTTP ${answer.status ?? '(no status)'} and ${answer.body}${attemptsOf(error)}`,
      undefined,
      answer.status !== undefined && answer.status >= 500 && answer.body === NO_ERROR_NAME
        ? 'the service failed without saying why; try again later, or check the endpoint'
        : "check that the endpoint is a CloudTrail endpoint (AWS_ENDPOINT_URL_CLOUDTRAIL, AWS_ENDPOINT_URL or the profile's endpoint_url)",
    )
  }
  const code = (error as { code?: unknown }).code
  if ('$metadata' in error || typeof code === 'string' || name === 'TimeoutError') {
    return new AwsError(`CloudTrail LookupEvents failed: ${name}${error.message ? `: ${error.message}` : ''}`, name)
  }
  return error
}
