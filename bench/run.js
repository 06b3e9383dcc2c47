// npm run bench: start-up and one update, each side by side with its baseline in one run.
// Medians over repeated runs with their spread; ratios, not absolute times, are what to compare.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, platform, release } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { startMoto } from '../test/support/moto.js'

// The benchmark's own SDK client (fixtures) must not print the Node 20 notice either.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const BIN = fileURLToPath(new URL('../bin/kms-alias.js', import.meta.url))
const REGION = 'us-east-1'

function time(command, args, env) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { env, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return { ms, result }
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted.at(-1) }
}

/** Runs each case in turn, RUNS times, interleaved so that machine noise hits both sides alike. */
function measure(cases) {
  const samples = cases.map(() => [])
  for (let i = 0; i < RUNS; i++) cases.forEach((c, j) => samples[j].push(c.run(i).ms))
  return cases.map((c, j) => ({ name: c.name, ...stats(samples[j]) }))
}

const fmt = (ms) => `${ms.toFixed(0)} ms`
const row = (r, base) => `| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${base ? `${(r.median / base.median).toFixed(2)}×` : '1.00× (baseline)'} |`

const moto = await startMoto()
try {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_KMS: moto.url,
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  }
  const kms = new KMSClient({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  const newKey = async () => (await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata.KeyId
  const keys = [await newKey(), await newKey()]
  const ours = 'alias/bench-kms-alias'
  const theirs = 'alias/bench-aws-cli'
  await kms.send(new CreateAliasCommand({ AliasName: ours, TargetKeyId: keys[0] }))
  await kms.send(new CreateAliasCommand({ AliasName: theirs, TargetKeyId: keys[0] }))
  // Keep an alias on each key so no run warns about an orphaned key.
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/bench-keep-0', TargetKeyId: keys[0] }))
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/bench-keep-1', TargetKeyId: keys[1] }))

  const startup = measure([
    { name: '`node -e 0`', run: () => time(process.execPath, ['-e', '0'], env) },
    { name: '`kms-alias --help`', run: () => time(process.execPath, [BIN, '--help'], env) },
  ])

  // Each run really repoints: alternate between the two keys.
  const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0
  const updateCases = [
    { name: '`kms-alias update` (preflight, update, confirm)', run: (i) => time(process.execPath, [BIN, 'update', ours, '--to', keys[(i + 1) % 2], '--yes'], env) },
  ]
  if (awsCli) {
    updateCases.unshift({ name: '`aws kms update-alias` (no checks)', run: (i) => time('aws', ['kms', 'update-alias', '--region', REGION, '--endpoint-url', moto.url, '--alias-name', theirs, '--target-key-id', keys[(i + 1) % 2]], env) })
  }
  const update = measure(updateCases)

  const debug = spawnSync(process.execPath, [BIN, 'update', ours, '--to', keys[(RUNS + 1) % 2], '--yes', '--debug'], { env, encoding: 'utf8' })
  const calls = debug.stderr.split('\n').filter((l) => l.startsWith('debug: ')).map((l) => l.split(' ')[1])

  const lines = [
    `kms-alias benchmark, ${new Date().toISOString().slice(0, 10)}: ${RUNS} runs each, interleaved; node ${process.version}, ${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; moto ${moto.version} on loopback.`,
    `NODE_EXTRA_CA_CERTS is ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'not set'} (same for both sides).`,
    '',
    '| command | median | spread (min–max) | ratio |',
    '|---|---|---|---|',
    ...startup.map((r, i) => row(r, i === 0 ? undefined : startup[0])),
    ...update.map((r, i) => row(r, i === 0 ? undefined : update[0])),
    '',
    awsCli ? '' : 'The AWS CLI is not installed: the `aws kms update-alias` row is skipped.',
    `KMS calls of one update: ${calls.length} (${calls.join(', ')}); the minimum is 4: DescribeKey ×2, UpdateAlias, ListAliases. The two extra ListAliases calls find the keys' other aliases (PREVIOUS_KEY_ORPHANED, ALIAS_QUOTA_NEAR) and run concurrently with the DescribeKey calls' follow-ups.`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '')
  const table = lines.join('\n')
  console.log(table)
  mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true })
  writeFileSync(new URL('../.bench/results.md', import.meta.url), `${table}\n`)
} finally {
  await moto.stop()
}
