// The audit rows of `npm run bench` (issue 23): `kms-alias audit` of 2,000 aliases over 4 Regions
// (500 each on 100 distinct keys) against moto through the fault proxy's rate limit, beside the
// floor that limit allows (each Region's ListAliases pages plus one DescribeKey per key, at the
// limit, Regions side by side); and the peak RSS of the process for 2,000 and for 8,000 aliases.
// `node bench/audit.js` runs these rows alone (after `npm run build`).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { benchEnv } from './env.js'

// Regions no other row of the bench writes to, so that their listings hold only these aliases
// (and moto's 14 alias/aws/* entries).
const REGIONS = ['us-west-2', 'eu-central-1', 'ap-northeast-1', 'ca-central-1']
const KEYS_PER_REGION = 100
const SMALL = 500
const LARGE = 2000
// The proxy's limit of reads a second per Region, and audit's --rate to match. KMS's own quotas
// (ListAliases 500/s, DescribeKey 2000/s) would make the floor 52 ms, far below node's start-up:
// scaled down so that the quota, not the start, sets the floor, as it does on AWS for large fleets.
const RATE = 50
const RUNS = 3
const BIN = fileURLToPath(new URL('../bin/kms-alias.js', import.meta.url))
const testing = { accessKeyId: 'testing', secretAccessKey: 'testing' }

/** Maps `items` through `fn`, `limit` at a time (fixtures: moto serves concurrent requests). */
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    }),
  )
  return out
}

/** Creates aliases `from`..`to` - 1 in every Region, directly on moto (no proxy), on each Region's 100 keys. */
async function fill(motoUrl, keysByRegion, from, to) {
  await Promise.all(
    REGIONS.map(async (region) => {
      const client = new KMSClient({ region, endpoint: motoUrl, credentials: testing })
      if (!keysByRegion.has(region)) {
        const keys = await mapLimit(Array.from({ length: KEYS_PER_REGION }), 16, async () => {
          const out = await client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))
          return out.KeyMetadata.KeyId
        })
        keysByRegion.set(region, keys)
      }
      const keys = keysByRegion.get(region)
      const indexes = Array.from({ length: to - from }, (_, i) => from + i)
      await mapLimit(indexes, 16, (i) =>
        client.send(new CreateAliasCommand({ AliasName: `alias/bench-audit-${String(i).padStart(4, '0')}`, TargetKeyId: keys[i % KEYS_PER_REGION] })),
      )
    }),
  )
}

// A preload that reports the process's peak resident set on exit (resourceUsage().maxRSS, in KiB).
const preloadDir = mkdtempSync(join(tmpdir(), 'kms-alias-bench-audit-'))
const preload = join(preloadDir, 'maxrss.mjs')
writeFileSync(preload, "import { writeSync } from 'node:fs'\nprocess.on('exit', () => writeSync(2, `maxrss ${process.resourceUsage().maxRSS}\\n`))\n")

/** One audit of the 4 Regions: wall time, peak RSS (MiB) and the JSON summary. */
async function audit(env, rate) {
  const started = process.hrtime.bigint()
  const args = ['--import', pathToFileURL(preload).href, BIN, 'audit', '--regions', REGIONS.join(','), '--json', '--rate', String(rate)]
  const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).catch((error) => {
    throw new Error(`audit exited ${error.code}: ${error.stderr}`)
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const rss = Number(/maxrss (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024
  return { ms, rss, summary: JSON.parse(stdout).summary }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`)

/**
 * The audit rows as markdown lines. `env` is the CLI's environment (test credentials, a scratch
 * HOME); `motoUrl` and `proxy` as the bench starts them. Leaves the proxy without a rate limit.
 */
export async function auditRows({ motoUrl, proxy, env }) {
  const keysByRegion = new Map()
  await fill(motoUrl, keysByRegion, 0, SMALL)
  const direct = { ...env, AWS_ENDPOINT_URL_KMS: motoUrl }
  const viaProxy = { ...env, AWS_ENDPOINT_URL_KMS: proxy.url }
  const check = (result, aliasesPerRegion) => {
    // moto lists its 14 alias/aws/* entries in every Region too.
    const expected = REGIONS.length * (aliasesPerRegion + 14)
    if (result.summary.aliases !== expected || result.summary.keys !== REGIONS.length * KEYS_PER_REGION)
      throw new Error(`audit read ${result.summary.aliases} aliases and ${result.summary.keys} keys, not ${expected} and ${REGIONS.length * KEYS_PER_REGION}`)
    return result
  }

  proxy.reset()
  proxy.limitRate(['ListAliases', 'DescribeKey'], RATE, { perRegion: true })
  const paced = []
  const callsPerRegion = []
  for (let i = 0; i < RUNS; i++) {
    proxy.reset()
    proxy.limitRate(['ListAliases', 'DescribeKey'], RATE, { perRegion: true })
    paced.push(check(await audit(viaProxy, RATE), SMALL))
    callsPerRegion.push(Math.max(...REGIONS.map((r) => proxy.arrivals('ListAliases', r).length + proxy.arrivals('DescribeKey', r).length)))
    if (proxy.throttled() > 0) throw new Error(`audit was throttled ${proxy.throttled()} times: its pacing is off`)
  }
  proxy.reset()
  const floorMs = (Math.max(...callsPerRegion) / RATE) * 1000
  const pacedMs = median(paced.map((r) => r.ms))

  const rssSmall = []
  for (let i = 0; i < RUNS; i++) rssSmall.push(check(await audit(direct, 500), SMALL))
  await fill(motoUrl, keysByRegion, SMALL, LARGE)
  const rssLarge = []
  for (let i = 0; i < RUNS; i++) rssLarge.push(check(await audit(direct, 500), LARGE))

  const total = (n) => (n * REGIONS.length).toLocaleString('en-US')
  return [
    '| command | median | spread (min–max) | runs | ratio |',
    '|---|---|---|---|---|',
    `| floor: ${Math.max(...callsPerRegion)} reads a Region (ListAliases pages + 1 DescribeKey a key) at ${RATE}/s, ${REGIONS.length} Regions side by side | ${fmt(floorMs)} | ${fmt(floorMs)}–${fmt(floorMs)} | 1 | 1.00× (baseline) |`,
    `| \`audit\` of ${total(SMALL)} aliases (${SMALL} a Region, ${KEYS_PER_REGION} keys each) over ${REGIONS.length} Regions, the proxy enforcing ${RATE} reads/s per Region, \`--rate ${RATE}\` | ${fmt(pacedMs)} | ${fmt(Math.min(...paced.map((r) => r.ms)))}–${fmt(Math.max(...paced.map((r) => r.ms)))} | ${RUNS} | ${(pacedMs / floorMs).toFixed(2)}× |`,
    '',
    `ThrottlingException answers to audit: 0 (checked on every run). Peak RSS of the audit process (moto direct, \`--rate 500\`), median of ${RUNS}: ` +
      `${total(SMALL)} aliases ${median(rssSmall.map((r) => r.rss)).toFixed(0)} MiB, ${total(LARGE)} aliases ${median(rssLarge.map((r) => r.rss)).toFixed(0)} MiB ` +
      `(wall time ${fmt(median(rssSmall.map((r) => r.ms)))} and ${fmt(median(rssLarge.map((r) => r.ms)))}).`,
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { startMoto } = await import('../test/support/moto.js')
  const { startFaultProxy } = await import('../test/support/faultProxy.js')
  const moto = await startMoto()
  const proxy = await startFaultProxy(moto.url)
  const scratch = mkdtempSync(join(tmpdir(), 'kms-alias-bench-'))
  try {
    const env = benchEnv(scratch)
    const lines = await auditRows({ motoUrl: moto.url, proxy, env })
    const text = [`audit rows, ${new Date().toISOString().slice(0, 10)}: node ${process.version}; moto ${moto.version} on loopback.`, '', ...lines].join('\n')
    console.log(text)
    mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true })
    writeFileSync(new URL('../.bench/audit-results.md', import.meta.url), `${text}\n`)
  } finally {
    await proxy.stop()
    await moto.stop()
  }
}
