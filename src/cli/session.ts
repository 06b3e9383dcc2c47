// One Session per run: the one place that turns the global options (--region, --profile,
// --endpoint-url, --max-attempts, --timeout, --role-arn, --debug) and the environment into the
// settings every AWS client of the run is built with, KMS, STS and IAM alike. It lives in cli/
// because what it resolves are the CLI's flags and the AWS CLI's conventions (AWS_DEFAULT_REGION);
// the commands and the engine receive it and ask it for ports, never building a client themselves.
import type { Context } from './context.js'
import { endpointProblem, parseEndpointUrl, type GlobalOptions } from './globalOptions.js'
import { UsageError } from '../errors.js'
import type { IamPort } from '../iam/port.js'
import type { CloudTrailPort } from '../cloudtrail/port.js'
import { MEMORY_ENDPOINT, type AssumeRoleConfig, type AwsSettings, type KmsConfig, type KmsPort } from '../kms/port.js'
import type { Log } from '../output/ui.js'
import type { S3Port } from '../s3/port.js'

/** Where a port works: a Region and the role to act through, each replacing the run's own. */
export interface Place {
  region?: string
  role?: AssumeRoleConfig
}

/** The AWS side of one run. Ports are built on first use, so a run that needs none loads no SDK. */
export interface Session {
  /**
   * The KMS port of the run's Region and role, or of `place` (apply's partitions, --regions, list
   * --regions): one port per (Region, role), shared by whoever asks for the same place.
   */
  kms(place?: Place): Promise<KmsPort>
  /**
   * The IAM port (--iam only), in the account the run acts on: the run's role, or `place.role` for
   * a partition in another account. Same Region, profile, attempts and timeout as KMS.
   */
  iam(place?: Pick<Place, 'role'>): Promise<IamPort>
  /**
   * The S3 port of a team journal's bucket (--journal s3://…), with the run's profile, role,
   * attempts and timeout; the endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (not
   * --endpoint-url, which is KMS's); the bucket's Region found by the adapter.
   */
  s3(bucket: string): Promise<S3Port>
  /**
   * The CloudTrail port of the run's Region and role, or of `place` (usage, retire, --callers): one
   * per (Region, role), so that its pacing holds per account and Region. Paced on the run's clock;
   * the in-memory trail when KMS is the in-memory KMS.
   */
  cloudtrail(place?: Place): Promise<CloudTrailPort>
}

// Keyed by the Context and then by the run's GlobalOptions object: every part of one run (undo's
// account check and the change it then makes, a command and the engine under it) gets the same
// session, so the same ports, credentials and STS answers. A command run by the demo resolves
// options of its own, and so a session of its own.
const sessions = new WeakMap<Context, WeakMap<GlobalOptions, Session>>()

/** The session of the run that `options` were resolved for; built on first use. */
export function sessionOf(ctx: Context, options: GlobalOptions, log: Log): Session {
  let ofContext = sessions.get(ctx)
  if (!ofContext) sessions.set(ctx, (ofContext = new WeakMap()))
  let session = ofContext.get(options)
  if (!session) ofContext.set(options, (session = createSession(ctx, options, log)))
  return session
}

function createSession(ctx: Context, options: GlobalOptions, log: Log): Session {
  // AWS_DEFAULT_REGION is read as the AWS CLI reads it (after AWS_REGION, before the profile), so
  // that kms-alias and `aws kms` in the same shell act in the same Region; the SDK alone skips it.
  const region = options.region ?? (ctx.env.AWS_REGION ? undefined : ctx.env.AWS_DEFAULT_REGION || undefined)
  const settings: AwsSettings = {
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.timeoutSeconds ? { requestTimeoutMs: options.timeoutSeconds * 1000 } : {}),
    ...(options.debug ? { debug: (line: string) => log.debug(line) } : {}),
    ...(options.role ? { role: options.role } : {}),
    warn: (line) => log.warn(line),
    env: ctx.env,
    signal: ctx.signal,
  }
  const at = (place: Place): AwsSettings => ({
    ...settings,
    ...(place.region ? { region: place.region } : {}),
    ...(place.role ? { role: place.role } : {}),
  })
  let endpointChecked = false
  const checkEndpoint = () => {
    if (endpointChecked) return
    // A bad AWS_ENDPOINT_URL* throws here, and again at the next port: it is never let through.
    const endpoint = options.endpointUrl ?? configuredEndpoint(ctx.env)
    endpointChecked = true
    if (endpoint && isPlainRemoteHttp(endpoint)) {
      log.warn(`${endpoint} is plain http:// and not on this machine: requests and responses cross the network unencrypted`)
    }
  }
  // Issue 21: the CloudTrail endpoint the SDK takes from the environment, checked as KMS's is.
  let trailEndpointChecked = false
  const checkTrailEndpoint = () => {
    if (trailEndpointChecked || options.endpointUrl === MEMORY_ENDPOINT || ctx.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return
    const name = ['AWS_ENDPOINT_URL_CLOUDTRAIL', 'AWS_ENDPOINT_URL'].find((n) => ctx.env[n])
    const value = name ? ctx.env[name] : undefined
    const problem = value === undefined || value === MEMORY_ENDPOINT ? undefined : endpointProblem(value)
    if (name && value && problem) {
      throw new UsageError(`${name} "${value}" is not a CloudTrail endpoint: ${problem}`, 'give an http:// or https:// URL, e.g. https://cloudtrail.eu-west-1.amazonaws.com')
    }
    trailEndpointChecked = true
    if (value && isPlainRemoteHttp(value)) log.warn(`${value} is plain http:// and not on this machine: requests and responses cross the network unencrypted`)
  }
  const kmsPorts = new Map<string, Promise<KmsPort>>()
  const iamPorts = new Map<string, Promise<IamPort>>()
  const s3Ports = new Map<string, Promise<S3Port>>()
  const trailPorts = new Map<string, Promise<CloudTrailPort>>()
  const once = <T>(ports: Map<string, Promise<T>>, key: string, open: () => Promise<T>): Promise<T> => {
    let port = ports.get(key)
    if (!port) {
      port = open()
      ports.set(key, port)
      // A port that could not be built is asked for again next time, not remembered.
      port.catch(() => ports.delete(key))
    }
    return port
  }
  return {
    async kms(place = {}) {
      checkEndpoint()
      const config: KmsConfig = { ...at(place), ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}) }
      return once(kmsPorts, placeKey(config), () => ctx.kms(config))
    },
    iam(place = {}) {
      const config = at(place)
      return once(iamPorts, placeKey(config), () => ctx.iam(config))
    },
    s3(bucket) {
      const endpoint = s3Endpoint(ctx.env)
      return once(s3Ports, bucket, () => ctx.s3({ ...settings, bucket, ...(endpoint ? { endpointUrl: endpoint } : {}) }))
    },
    async cloudtrail(place = {}) {
      checkTrailEndpoint()
      // --endpoint-url names the KMS endpoint only: with it and no CloudTrail endpoint, CloudTrail
      // would answer about another KMS (AWS's), whose silence is no evidence of idleness here.
      const trailEndpointSet = ctx.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true' && !!(ctx.env.AWS_ENDPOINT_URL_CLOUDTRAIL || ctx.env.AWS_ENDPOINT_URL)
      if (options.endpointUrl && options.endpointUrl !== MEMORY_ENDPOINT && !trailEndpointSet) {
        throw new UsageError(
          `--endpoint-url ${options.endpointUrl} overrides KMS only, so CloudTrail's events would be about another KMS`,
          'set AWS_ENDPOINT_URL_CLOUDTRAIL to the CloudTrail endpoint that logs that KMS',
        )
      }
      const config = {
        ...at(place),
        clock: { now: ctx.now, sleep: ctx.sleep },
        ...(options.endpointUrl === MEMORY_ENDPOINT ? { inMemory: true } : {}),
      }
      return once(trailPorts, placeKey(config), () => ctx.cloudtrail(config))
    },
  }
}

const placeKey = (settings: AwsSettings) => JSON.stringify([settings.region ?? null, settings.role ?? null])

/**
 * The endpoint the SDK takes from the environment (it ignores empty variables), checked as the
 * flag is: the SDK would otherwise fail later with an internal error, or try ftp://.
 */
function configuredEndpoint(env: Context['env']): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined
  for (const name of ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL']) {
    const value = env[name]
    if (value) return parseEndpointUrl(name)(value)
  }
  return undefined
}

/** S3's endpoint from the environment, checked as KMS's is; undefined leaves it to the SDK (AWS, or the profile). */
function s3Endpoint(env: Context['env']): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined
  for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    const value = env[name]
    if (value) return parseEndpointUrl(name)(value)
  }
  return undefined
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** An http:// URL whose host is not loopback. */
function isPlainRemoteHttp(endpoint: string): boolean {
  try {
    const url = new URL(endpoint)
    return url.protocol === 'http:' && !LOOPBACK.test(url.hostname)
  } catch {
    return false
  }
}
