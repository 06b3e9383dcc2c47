// A fault-injecting HTTP proxy between kms-alias and moto_server, for faults moto cannot produce:
// throttling, 5xx, delays, dropped connections, lost responses, stale ListAliases (eventual
// consistency: ListAliases and DescribeKey), a rate limit, hooks that let "another writer" act at an exact moment,
// rewritten answers (what AWS answers where moto answers wrongly, e.g. a multi-Region replica set),
// a latency added to every call, and a log of when each call arrived and was answered (from which
// `levels()` counts a run's sequential round trips).
// It only ever listens on and connects to 127.0.0.1.
import { createServer, request } from 'node:http'

const HOST = '127.0.0.1'
const MUTATIONS = new Set(['UpdateAlias', 'CreateAlias', 'DeleteAlias'])

const FAULTS = {
  throttle: { status: 400, type: 'ThrottlingException', message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.' },
  internal: { status: 500, type: 'KMSInternalException', message: 'An internal error occurred.' },
  'dependency-timeout': { status: 503, type: 'DependencyTimeoutException', message: 'The system timed out while trying to fulfill the request.' },
  'access-denied': { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform this operation.' },
  // What KMS answers a cryptographic call on a key whose state does not allow it (moto never does).
  'invalid-state': { status: 400, type: 'KMSInvalidStateException', message: 'The key is not in a valid state for this operation.' },
}

/**
 * Starts the proxy in front of `target` (moto's URL). Rules are added with `fault(operation, kind,
 * { calls })`, where calls lists the 1-based call numbers of that operation to hit (all when omitted).
 */
export async function startFaultProxy(target) {
  const upstream = new URL(target)
  if (upstream.hostname !== HOST) throw new Error(`the fault proxy only forwards to ${HOST}, not ${upstream.hostname}`)
  const counts = new Map()
  const rules = []
  const hooks = []
  const rewrites = []
  const served = []
  const bodies = []
  const listCache = new Map()
  let staleUntil = 0
  let staleForMs = 0
  let staleOperations = new Set(['ListAliases'])
  let rate
  const log = []
  const arrivals = []
  let throttled = 0
  let latencyMs = 0
  const requests = []

  const server = createServer(async (req, res) => {
    const start = performance.now()
    const body = await readBody(req)
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() || 'unknown'
    const call = (counts.get(operation) ?? 0) + 1
    counts.set(operation, call)
    log.push(`${operation}#${call}`)
    const entry = { operation, call, start, end: undefined }
    requests.push(entry)
    // 'close' also comes for a dropped or destroyed socket: the client has its answer (or none) then.
    res.on('close', () => (entry.end = performance.now()))
    if (latencyMs > 0) await sleep(latencyMs)

    for (const hook of hooks) if (hook.operation === operation && matches(hook.calls, call)) await hook.run(call)

    const region = regionOf(req)
    arrivals.push({ operation, region, at: Date.now() })
    if (rate && rate.operations.has(operation) && !rate.take(region)) {
      throttled += 1
      return sendFault(res, 'throttle')
    }
    const accessKey = accessKeyOf(req)
    const applies = (r) => (r.region === undefined || r.region === region) && (r.accessKey === undefined || r.accessKey(accessKey))
    bodies.push({ operation, call, region, body: JSON.parse(body || '{}') })
    const serve = served.find((s) => s.operation === operation)
    if (serve && !rules.some((r) => r.operation === operation && matches(r.calls, call) && applies(r))) {
      const text = JSON.stringify(await serve.run(JSON.parse(body || '{}'), call, region))
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'fault-proxy' })
      return res.end(text)
    }
    const rule = rules.find((r) => r.operation === operation && matches(r.calls, call) && applies(r))
    if (rule?.kind === 'delay') await sleep(rule.ms)
    else if (rule?.kind === 'hang') return // never answer: the client's timeout must fire
    else if (rule?.kind === 'drop') return req.socket.destroy()
    else if (rule && FAULTS[rule.kind]) return sendFault(res, rule.kind)

    const cacheKey = `${operation} ${body}`
    if (staleOperations.has(operation) && Date.now() < staleUntil && listCache.has(cacheKey)) {
      const cached = listCache.get(cacheKey)
      res.writeHead(cached.status, cached.headers)
      return res.end(cached.body)
    }
    let answer
    try {
      answer = await forward(upstream, req, body)
    } catch {
      return req.socket.destroy()
    }
    if (staleOperations.has(operation) && Date.now() >= staleUntil) listCache.set(cacheKey, answer)
    if (MUTATIONS.has(operation) && staleForMs > 0 && answer.status < 300) staleUntil = Date.now() + staleForMs
    const rewrite = rewrites.find((r) => r.operation === operation && matches(r.calls, call) && (r.region === undefined || r.region === region))
    if (rewrite && answer.status < 300) {
      const text = JSON.stringify(rewrite.run(JSON.parse(answer.body.toString('utf8') || '{}'), JSON.parse(body || '{}')))
      answer = { ...answer, headers: { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) }, body: Buffer.from(text) }
    }
    // The change happened on moto; the client never hears of it.
    if (rule?.kind === 'lose-response') return req.socket.destroy()
    res.writeHead(answer.status, answer.headers)
    res.end(answer.body)
  })
  await new Promise((resolve) => server.listen(0, HOST, resolve))
  const { port } = server.address()

  return {
    url: `http://${HOST}:${port}`,
    /**
     * kind: throttle, internal, dependency-timeout, access-denied, invalid-state, delay, hang, drop,
     * lose-response; `region`: only requests signed for it; `accessKey`: only requests whose signing
     * access key ID it accepts (an assumed role's credentials are told apart from the caller's).
     */
    fault(operation, kind, options = {}) {
      if (!FAULTS[kind] && !['delay', 'hang', 'drop', 'lose-response'].includes(kind)) throw new Error(`unknown fault ${kind}`)
      rules.push({ operation, kind, calls: options.calls, ms: options.ms ?? 0, region: options.region, accessKey: options.accessKey })
    },
    /** Runs `run` when the given call of `operation` arrives, before it is handled. */
    before(operation, calls, run) {
      hooks.push({ operation, calls, run })
    },
    /**
     * Serves `run(answer, request)` (both parsed JSON) instead of moto's successful answer to the
     * given calls of `operation` (all when `calls` is omitted); only to requests signed for `region` when given.
     */
    rewrite(operation, options, run) {
      rewrites.push({ operation, calls: options.calls, region: options.region, run })
    },
    /**
     * Answers every call of `operation` with `run(request, call, region)` (parsed JSON in, JSON out)
     * instead of forwarding it: the APIs moto lacks (GetKeyLastUsage, CloudTrail's LookupEvents),
     * served with answers shaped as AWS's. A fault rule for the same call still wins.
     */
    serve(operation, run) {
      served.push({ operation, run })
    },
    /** The parsed request bodies of `operation`, in arrival order. */
    bodies: (operation) => bodies.filter((b) => b.operation === operation).map((b) => ({ ...b })),
    /** After each successful mutation, the reads in `operations` serve what they served before, for `ms`. */
    staleAfterMutations(ms, operations = ['ListAliases']) {
      staleForMs = ms
      staleOperations = new Set(operations)
    },
    /**
     * Answers ThrottlingException beyond `perSecond` calls a second of `operations` (a token bucket).
     * With `{ perRegion: true }` each Region (from the request's signature) has its own bucket, as
     * KMS's quotas are per account and Region.
     */
    limitRate(operations, perSecond, options = {}) {
      const buckets = new Map()
      rate = {
        operations: new Set(operations),
        take(region) {
          const id = options.perRegion ? region : ''
          const bucket = buckets.get(id) ?? { tokens: perSecond, last: Date.now() }
          buckets.set(id, bucket)
          const now = Date.now()
          bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.last) / 1000) * perSecond)
          bucket.last = now
          if (bucket.tokens < 1) return false
          bucket.tokens -= 1
          return true
        },
      }
    },
    calls: (operation) => counts.get(operation) ?? 0,
    /** When each call of `operation` arrived (ms since the epoch), in order; only those to `region` when given. */
    arrivals: (operation, region) => arrivals.filter((a) => a.operation === operation && (region === undefined || a.region === region)).map((a) => a.at),
    /** How many calls the rate limit answered with ThrottlingException. */
    throttled: () => throttled,
    log,
    /** Adds `ms` to every call before it is handled (0: none), as a distant Region would. */
    latency(ms) {
      latencyMs = ms
    },
    /** Each call: operation, its number among that operation's calls, and when it arrived and was answered (performance.now() ms). */
    requests: () => requests.map((r) => ({ ...r })),
    /**
     * The calls' sequential round trips: the longest chain of calls in which each arrived after the
     * one before was answered. Calls sent together overlap and count once; a call that had to wait
     * for another's answer adds one. Counts the calls answered since the last reset.
     */
    levels() {
      const answered = requests.filter((r) => r.end !== undefined).sort((a, b) => a.end - b.end)
      let levels = 0
      let last = -Infinity
      for (const r of answered) {
        if (r.start < last) continue
        levels += 1
        last = r.end
      }
      return levels
    },
    reset() {
      counts.clear()
      rules.length = 0
      hooks.length = 0
      rewrites.length = 0
      served.length = 0
      bodies.length = 0
      listCache.clear()
      staleUntil = 0
      staleForMs = 0
      staleOperations = new Set(['ListAliases'])
      rate = undefined
      log.length = 0
      arrivals.length = 0
      throttled = 0
      latencyMs = 0
      requests.length = 0
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The Region a request was signed for (SigV4 credential scope: <key>/<date>/<region>/<service>/aws4_request). */
function regionOf(req) {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'unknown'
}

/** The access key ID a request was signed with (SigV4: Credential=<key>/...). */
function accessKeyOf(req) {
  return /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'unknown'
}

const matches = (calls, call) => calls === undefined || calls.includes(call)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function forward(upstream, req, body) {
  return new Promise((resolve, reject) => {
    const out = request(
      { host: HOST, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: `${HOST}:${upstream.port}` } },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    out.on('error', reject)
    out.end(body)
  })
}

function sendFault(res, kind) {
  const fault = FAULTS[kind]
  const body = JSON.stringify({ __type: fault.type, message: fault.message })
  res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'fault-proxy' })
  res.end(body)
}
