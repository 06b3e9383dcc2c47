// npm run bench: each measurement side by side with its baseline, in one run, interleaved so that
// machine noise hits both sides alike. Medians with the spread (min–max); compare ratios, not times.
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { bundle } from '../scripts/build.js'
import { buildCommanderAlone } from './commanderAlone.js'
import { buildSdkAlone } from './sdkAlone.js'
import { startFaultProxy } from '../test/support/faultProxy.js'
import { startMoto } from '../test/support/moto.js'
import { auditRows } from './audit.js'
import { teamHistoryRows } from './teamHistory.js'
import { benchEnv } from './env.js'

// The benchmark's own SDK client (fixtures) must not print the Node 20 notice either.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)
// BENCH_ONLY=startup measures the start-up block alone (no moto, no AWS CLI).
const STARTUP_ONLY = process.env.BENCH_ONLY === 'startup'
const UPDATE_RUNS = Math.max(3, Math.round(RUNS / 2))
const APPLY_RUNS = 3
const APPLY_SIZE = 200
const QUOTA = 5
const LATENCY_MS = 50
const BIN = fileURLToPath(new URL('../bin/kms-alias.js', import.meta.url))
const REGION = 'us-east-1'
// apply split over several Regions: each Region has its own quota, so the floor divides by their number.
const SPLIT_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1']
const scratch = mkdtempSync(join(tmpdir(), 'kms-alias-bench-'))

// What each build step buys: the same bin/ over dist/ as tsc emits it (one file per module, the
// packages from node_modules), as esbuild bundles it without minifying, and as the package ships.
// The variants live under .bench/ so that the tsc one finds node_modules as the checkout does.
const variant = (name) => {
  const dir = fileURLToPath(new URL(`../.bench/variants/${name}/`, import.meta.url))
  mkdirSync(join(dir, 'bin'), { recursive: true })
  copyFileSync(BIN, join(dir, 'bin/kms-alias.js'))
  copyFileSync(new URL('../package.json', import.meta.url), join(dir, 'package.json'))
  return { dir, bin: join(dir, 'bin/kms-alias.js') }
}
const unbundled = variant('tsc')
const repo = fileURLToPath(new URL('..', import.meta.url))
spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(unbundled.dir, 'dist')], { cwd: repo, stdio: 'inherit' })
const plain = variant('bundle-unminified')
await bundle({ outdir: join(plain.dir, 'dist'), minify: false })
// module.enableCompileCache() exists from Node 22.1; NODE_DISABLE_COMPILE_CACHE=1 turns it off for the baseline row.
const compileCache = typeof (await import('node:module')).default.enableCompileCache === 'function'
// The floors of --help: an empty ES module, and commander alone with our command table (read from
// the tsc output's program) in one bundled file.
const emptyModule = join(scratch, 'empty.mjs')
writeFileSync(emptyModule, '')
const commanderAlone = fileURLToPath(new URL('../.bench/variants/commander-alone.mjs', import.meta.url))
const { createProgram } = await import(pathToFileURL(join(unbundled.dir, 'dist/cli/program.js')).href)
await buildCommanderAlone(createProgram({}, () => {}), commanderAlone)
// The floors of update: the SDK alone making the same calls in the same round trips, or UpdateAlias only.
const sdkAlone = fileURLToPath(new URL('../.bench/variants/sdk-alone.mjs', import.meta.url))
await buildSdkAlone(sdkAlone)
// NODE_EXTRA_CA_CERTS is left out of every row's environment, as issue 12 measured: on Node 20
// reading the extra certificates adds tens of milliseconds to every start (one row shows it).
const caCerts = process.env.NODE_EXTRA_CA_CERTS

// Asynchronous, so that the fault proxy (in this process) keeps serving while a command runs.
async function time(command, args, env) {
  const started = process.hrtime.bigint()
  try {
    const result = await promisify(execFile)(command, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, result }
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} exited ${error.code}: ${error.stderr}`)
  }
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted.at(-1), runs: sorted.length }
}

async function measure(cases, runs) {
  const samples = cases.map(() => [])
  for (let i = 0; i < runs; i++) for (const [j, c] of cases.entries()) samples[j].push((await c.run(i)).ms)
  return cases.map((c, j) => ({ name: c.name, ...stats(samples[j]) }))
}

const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`)
const ratio = (r, base) => (base ? `${(r.median / base.median).toFixed(2)}×` : '1.00× (baseline)')
const row = (r, base) => `| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${r.runs} | ${ratio(r, base)} |`
const countByOperation = (calls) =>
  Object.entries(calls.reduce((m, c) => ({ ...m, [c]: (m[c] ?? 0) + 1 }), {}))
    .map(([op, n]) => `${op} ×${n}`)
    .join(', ')
const section = (results) => results.map((r, i) => row(r, i === 0 ? undefined : results[0]))
const header = (motoVersion) => [
  `kms-alias benchmark, ${new Date().toISOString().slice(0, 10)}: node ${process.version}, ${platform()} ${release()}, ` +
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}${motoVersion ? `; moto ${motoVersion} on loopback` : ''}.`,
  'NODE_EXTRA_CA_CERTS is removed from the environment of every row (as issue 12 measured) but the one that says it is set. ' +
    "Rows of one block run interleaved; ratios are to the block's first row.",
  compileCache
    ? 'Node has module.enableCompileCache(): the package rows use the compile cache.'
    : `Node ${process.version} has no module.enableCompileCache() (Node >= 22.1): the compile cache cannot be measured here.`,
  '',
  '| command | median | spread (min–max) | runs | ratio |',
  '|---|---|---|---|---|',
]
const writeTable = (lines) => {
  const table = lines.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n')
  console.log(table)
  mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true })
  writeFileSync(new URL('../.bench/results.md', import.meta.url), `${table}\n`)
}

const startupEnv = { PATH: process.env.PATH, HOME: scratch }
const helpOf = async (file, args = []) => (await time(process.execPath, [file, ...args], startupEnv)).result.stdout
if ((await helpOf(commanderAlone)) !== (await helpOf(BIN, ['--help']))) throw new Error('commander alone does not print the help kms-alias prints')
const startup = await measure(
  [
    { name: '`node -e 0`', run: () => time(process.execPath, ['-e', '0'], startupEnv) },
    ...(caCerts
      ? [{ name: '`node -e 0` with NODE_EXTRA_CA_CERTS set (as in the environment the bench was started from)', run: () => time(process.execPath, ['-e', '0'], { ...startupEnv, NODE_EXTRA_CA_CERTS: caCerts }) }]
      : []),
    { name: 'floor: an empty ES module (`node empty.mjs`)', run: () => time(process.execPath, [emptyModule], startupEnv) },
    {
      name: 'floor: commander alone, one bundled file that defines the same command table and prints the same --help',
      run: () => time(process.execPath, [commanderAlone], startupEnv),
    },
    { name: '`kms-alias --help`, tsc output (unbundled)', run: () => time(process.execPath, [unbundled.bin, '--help'], startupEnv) },
    { name: '`kms-alias --help`, esbuild bundle, not minified', run: () => time(process.execPath, [plain.bin, '--help'], startupEnv) },
    { name: '`kms-alias --help` (the package: bundle, minified)', run: () => time(process.execPath, [BIN, '--help'], startupEnv) },
    ...(compileCache
      ? [
          {
            name: '`kms-alias --help`, compile cache off (NODE_DISABLE_COMPILE_CACHE=1)',
            run: () => time(process.execPath, [BIN, '--help'], { ...startupEnv, NODE_DISABLE_COMPILE_CACHE: '1' }),
          },
        ]
      : []),
  ],
  RUNS,
)
if (STARTUP_ONLY) {
  writeTable([...header(), ...section(startup)])
  process.exit(0)
}

const moto = await startMoto()
const proxy = await startFaultProxy(moto.url)
try {
  const env = {
    ...benchEnv(scratch, REGION),
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL_KMS: moto.url,
    KMS_ALIAS_JOURNAL: join(scratch, 'journal.jsonl'),
  }
  const kms = new KMSClient({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  const newKey = async () => (await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata.KeyId
  const alias = (name, key) => kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key }))
  const keys = [await newKey(), await newKey()]
  // Each key keeps an alias, so no run warns about an orphaned key.
  await alias('alias/bench-keep-0', keys[0])
  await alias('alias/bench-keep-1', keys[1])
  for (const name of [
    'alias/bench-ours',
    'alias/bench-tsc',
    'alias/bench-plain',
    'alias/bench-aws-cli',
    'alias/bench-script',
    'alias/bench-sdk-one',
    'alias/bench-sdk-same',
    'alias/bench-direct',
    'alias/bench-latency',
    'alias/bench-sdk-latency',
    'alias/bench-no-probe',
    'alias/bench-latency-no-probe',
    'alias/bench-journal-local',
    'alias/bench-journal-s3',
  ])
    await alias(name, keys[0])

  // Every run really repoints: alternate between the two keys.
  const to = (i) => keys[(i + 1) % 2]
  const from = (i) => keys[i % 2]
  const aws = (args) => ['kms', ...args, '--region', REGION, '--endpoint-url', moto.url]
  const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0
  const safeScript = (i) => {
    // What kms-alias does, by hand: describe both keys, list both keys' aliases, update, list again.
    const calls = [
      aws(['describe-key', '--key-id', 'alias/bench-script']),
      aws(['describe-key', '--key-id', to(i)]),
      aws(['list-aliases', '--key-id', from(i)]),
      aws(['list-aliases', '--key-id', to(i)]),
      aws(['update-alias', '--alias-name', 'alias/bench-script', '--target-key-id', to(i)]),
      aws(['list-aliases', '--key-id', to(i)]),
    ]
    return `set -e\n${calls.map((c) => `aws ${c.join(' ')} >/dev/null`).join('\n')}`
  }
  const ours = (bin, name, i, extra = []) => time(process.execPath, [bin, 'update', name, '--to', to(i), '--yes', ...extra], env)
  const updateCases = [
    ...(awsCli
      ? [
          {
            name: '`aws kms update-alias` (no checks)',
            run: (i) => time('aws', aws(['update-alias', '--alias-name', 'alias/bench-aws-cli', '--target-key-id', to(i)]), env),
          },
          { name: 'the same safe procedure as a shell script of 6 AWS CLI calls', run: (i) => time('sh', ['-c', safeScript(i)], env) },
        ]
      : []),
    {
      name: 'floor: the SDK alone, one bundled file sending UpdateAlias only',
      run: (i) => time(process.execPath, [sdkAlone, 'one', 'alias/bench-sdk-one', to(i)], env),
    },
    {
      name: "floor: the SDK alone, one bundled file making update's 15 calls in its 4 round trips, nothing else",
      run: (i) => time(process.execPath, [sdkAlone, 'same', 'alias/bench-sdk-same', to(i)], env),
    },
    { name: '`kms-alias update`, tsc output (unbundled)', run: (i) => ours(unbundled.bin, 'alias/bench-tsc', i) },
    { name: '`kms-alias update`, esbuild bundle, not minified', run: (i) => ours(plain.bin, 'alias/bench-plain', i) },
    { name: '`kms-alias update --no-probe` (preflight, update, confirm)', run: (i) => ours(BIN, 'alias/bench-no-probe', i, ['--no-probe']) },
    { name: '`kms-alias update` (preflight with the use probe, update, confirm, the use probe after)', run: (i) => ours(BIN, 'alias/bench-ours', i) },
  ]
  const update = await measure(updateCases, UPDATE_RUNS)

  // Round trips (issue 18 item 7): the proxy adds LATENCY_MS to every KMS call, so each sequential
  // round trip costs that much more, and its log of when each call arrived and was answered counts
  // them (calls sent together overlap and count once). Each run starts the log afresh.
  const levelsSeen = { ours: [], sdk: [], noProbe: [] }
  const throughLatency = (record, run) => async (i) => {
    proxy.reset()
    proxy.latency(LATENCY_MS)
    const r = await run(i)
    record.push(proxy.levels())
    proxy.reset()
    return r
  }
  const viaProxy = { ...env, AWS_ENDPOINT_URL_KMS: proxy.url }
  const latency = await measure(
    [
      { name: '`kms-alias update --yes`, moto direct', run: (i) => ours(BIN, 'alias/bench-direct', i) },
      {
        name: `\`kms-alias update --yes\` through the proxy adding ${LATENCY_MS} ms to every KMS call`,
        run: throughLatency(levelsSeen.ours, (i) => time(process.execPath, [BIN, 'update', 'alias/bench-latency', '--to', to(i), '--yes'], viaProxy)),
      },
      {
        name: `\`kms-alias update --yes --no-probe\` through the same proxy`,
        run: throughLatency(levelsSeen.noProbe, (i) =>
          time(process.execPath, [BIN, 'update', 'alias/bench-latency-no-probe', '--to', to(i), '--yes', '--no-probe'], viaProxy),
        ),
      },
      {
        name: `floor: the SDK alone making the same 15 calls in 4 round trips, through the same proxy`,
        run: throughLatency(levelsSeen.sdk, (i) => time(process.execPath, [sdkAlone, 'same', 'alias/bench-sdk-latency', to(i)], viaProxy)),
      },
    ],
    UPDATE_RUNS,
  )
  const spread = (all) => (Math.min(...all) === Math.max(...all) ? `${all[0]} in every run` : `${Math.min(...all)}–${Math.max(...all)}`)
  const latencyNotes = [
    `Sequential round trips of \`kms-alias update --yes\` counted from the proxy's log: ${spread(levelsSeen.ours)} ` +
      `(with --no-probe: ${spread(levelsSeen.noProbe)}; the SDK-alone floor: ${spread(levelsSeen.sdk)}); from the medians, (through the proxy − direct) / ${LATENCY_MS} ms = ` +
      `${((latency[1].median - latency[0].median) / LATENCY_MS).toFixed(1)}. ` +
      'Before issue 18 item 7 (measured in the issue): 5.4 round trips, 463 ms against 194 ms without the delay.',
  ]

  // Issue 22: one update with the team journal (the lock and the journal lines in moto's S3) beside
  // the same update with the local journal file. Rows interleave, so load hits both alike.
  const teamBucket = 'kms-alias-bench-team'
  await new S3Client({ region: REGION, endpoint: moto.url, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(
    new CreateBucketCommand({ Bucket: teamBucket }),
  )
  const teamEnv = { ...env, AWS_ENDPOINT_URL_S3: moto.url, AWS_ENDPOINT_URL_STS: moto.url, KMS_ALIAS_JOURNAL: `s3://${teamBucket}/bench` }
  const journals = await measure(
    [
      { name: '`kms-alias update --yes`, local journal file', run: (i) => ours(BIN, 'alias/bench-journal-local', i) },
      {
        name: '`kms-alias update --yes`, team journal and lock in S3 (moto)',
        run: (i) => time(process.execPath, [BIN, 'update', 'alias/bench-journal-s3', '--to', to(i), '--yes'], teamEnv),
      },
    ],
    UPDATE_RUNS,
  )
  const journalNotes = [
    `The team journal costs ${fmt(journals[1].median - journals[0].median)} more per update here (medians): the S3 client's load, ` +
      'HeadBucket (the bucket\'s Region), STS GetCallerIdentity (who), the lock object created and deleted, and per journal line a listing and a PutObject.',
  ]

  // KMS calls per command, counted from --debug (one line per call).
  const callsOf = async (args, extraEnv = {}) => {
    const out = await promisify(execFile)(process.execPath, [BIN, ...args, '--debug'], { env: { ...env, ...extraEnv }, encoding: 'utf8' })
    return out.stderr
      .split('\n')
      .filter((l) => l.startsWith('debug: '))
      .map((l) => l.split(' ')[1])
  }
  const callCounts = [
    ['list --prefix alias/bench-keep (2 aliases, 2 keys)', await callsOf(['list', '--prefix', 'alias/bench-keep'])],
    ['show alias/bench-ours', await callsOf(['show', 'alias/bench-ours'])],
    ['create', await callsOf(['create', 'alias/bench-created', '--to', keys[0]])],
    ['update', await callsOf(['update', 'alias/bench-ours', '--to', to(UPDATE_RUNS), '--yes'])],
    ['update --no-probe', await callsOf(['update', 'alias/bench-ours', '--to', to(UPDATE_RUNS + 1), '--yes', '--no-probe'])],
    [
      'update --expect-current (re-reads before the write)',
      await callsOf(['update', 'alias/bench-ours', '--to', to(UPDATE_RUNS + 2), '--expect-current', from(UPDATE_RUNS + 2), '--yes']),
    ],
    ['delete', await callsOf(['delete', 'alias/bench-created', '--yes'])],
    ['compare <key> <key>', await callsOf(['compare', keys[0], keys[1]])],
    [
      'update --dry-run --iam (the IAM call counted too)',
      await callsOf(['update', 'alias/bench-keep-0', '--to', keys[1], '--dry-run', '--iam'], { AWS_ENDPOINT_URL_IAM: moto.url }),
    ],
  ]

  // apply: 200 aliases, alternately repointed between two sets of keys and back, so every run
  // changes all of them. 50 a key: a key may have no more (the default quota), and apply refuses
  // a file that would give it more.
  const PER_KEY = 50
  const names = Array.from({ length: APPLY_SIZE }, (_, i) => `alias/bench-apply-${String(i).padStart(3, '0')}`)
  const keySet = async () => {
    const set = []
    for (let k = 0; k < APPLY_SIZE / PER_KEY; k++) set.push(await newKey())
    return set
  }
  const keySets = [await keySet(), await keySet()]
  for (const [i, name] of names.entries()) await alias(name, keySets[0][Math.floor(i / PER_KEY)])
  const mapping = (set) => {
    const path = join(scratch, `apply-${set}.txt`)
    writeFileSync(path, names.map((n, i) => `${n} ${keySets[set][Math.floor(i / PER_KEY)]}`).join('\n'))
    return path
  }
  const files = [mapping(1), mapping(0)]
  callCounts.push([`apply --dry-run of ${APPLY_SIZE} aliases (${PER_KEY} a key, each set to a new key)`, await callsOf(['apply', files[0], '--dry-run'])])
  let flip = 0
  const applyRun = (extraEnv, extraArgs) => async () => {
    const file = files[flip++ % 2]
    const r = await time(process.execPath, [BIN, 'apply', file, '--yes', '--json', ...extraArgs], { ...env, ...extraEnv })
    const summary = JSON.parse(r.result.stdout).summary
    if (summary.applied !== APPLY_SIZE || summary.failed !== 0) throw new Error(`apply did not apply all: ${JSON.stringify(summary)}`)
    return r
  }
  const applyDirect = await measure(
    [{ name: `\`apply\` of ${APPLY_SIZE} aliases, moto direct, --rate 1000`, run: applyRun({}, ['--rate', '1000']) }],
    APPLY_RUNS,
  )
  // KMS's quotas are per account and Region: the proxy keeps one bucket per Region.
  proxy.limitRate(['UpdateAlias', 'CreateAlias', 'DeleteAlias'], QUOTA, { perRegion: true })
  const floorOf = (name, ms) => ({ name, median: ms, min: ms, max: ms, runs: 1 })
  const floor = floorOf(`floor: ${APPLY_SIZE} changes / ${QUOTA} a second`, (APPLY_SIZE / QUOTA) * 1000)
  const applyQuota = await measure(
    [
      {
        name: `\`apply\` of ${APPLY_SIZE} aliases through a proxy enforcing ${QUOTA}/s (ThrottlingException beyond), default --rate, with the use probes`,
        run: applyRun({ AWS_ENDPOINT_URL_KMS: proxy.url }, []),
      },
      {
        name: `\`apply --no-probe\` of ${APPLY_SIZE} aliases through the same proxy`,
        run: applyRun({ AWS_ENDPOINT_URL_KMS: proxy.url }, ['--no-probe']),
      },
    ],
    1,
  )

  // The same 200 aliases split over 4 Regions (50 each), every Region at its own 5/s.
  const perRegion = APPLY_SIZE / SPLIT_REGIONS.length
  const split = []
  for (const region of SPLIT_REGIONS) {
    const client = new KMSClient({ region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
    const regionKey = async () => (await client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata.KeyId
    const regionKeys = [await regionKey(), await regionKey()]
    // No other alias on either key: 50 moving between them is the most a key may have (the default quota).
    for (let i = 0; i < perRegion; i++) {
      const name = `alias/bench-split-${String(i).padStart(3, '0')}`
      await client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: regionKeys[0] }))
      split.push({ name, region, keys: regionKeys })
    }
  }
  const splitFiles = [1, 0].map((k) => {
    const path = join(scratch, `apply-split-${k}.txt`)
    writeFileSync(path, split.map((e) => `${e.name} ${e.keys[k]} ${e.region}`).join('\n'))
    return path
  })
  let splitFlip = 0
  const splitRun = async () => {
    const r = await time(process.execPath, [BIN, 'apply', splitFiles[splitFlip++ % 2], '--yes', '--json'], { ...env, AWS_ENDPOINT_URL_KMS: proxy.url })
    const summary = JSON.parse(r.result.stdout).summary
    if (summary.applied !== APPLY_SIZE || summary.failed !== 0)
      throw new Error(`apply over ${SPLIT_REGIONS.length} Regions did not apply all: ${JSON.stringify(summary)}`)
    return r
  }
  const splitFloor = floorOf(
    `floor: ${APPLY_SIZE} changes / (${SPLIT_REGIONS.length} Regions × ${QUOTA} a second)`,
    (APPLY_SIZE / (SPLIT_REGIONS.length * QUOTA)) * 1000,
  )
  const throttledBefore = proxy.throttled()
  const applySplit = await measure(
    [
      {
        name: `\`apply\` of ${APPLY_SIZE} aliases over ${SPLIT_REGIONS.length} Regions (${perRegion} each), the proxy enforcing ${QUOTA}/s per Region, default --rate`,
        run: splitRun,
      },
    ],
    APPLY_RUNS,
  )
  const splitThrottled = proxy.throttled() - throttledBefore

  // issue 23: audit over 4 Regions through the proxy's read limit, and its peak RSS (bench/audit.js).
  const audit = await auditRows({ motoUrl: moto.url, proxy, env })
  // issue 22 item 4: history over 1,000 entries of a team journal in moto's S3 (bench/teamHistory.js).
  const teamHistory = await teamHistoryRows({ motoUrl: moto.url, env })

  writeTable([
    ...header(moto.version),
    ...section(startup),
    ...section(update),
    ...section(latency),
    '',
    ...latencyNotes,
    '',
    '| command | median | spread (min–max) | runs | ratio |',
    '|---|---|---|---|---|',
    ...section(journals),
    '',
    ...journalNotes,
    '',
    '| command | median | spread (min–max) | runs | ratio |',
    '|---|---|---|---|---|',
    ...section(applyDirect),
    ...section([floor, ...applyQuota]),
    ...section([splitFloor, ...applySplit]),
    '',
    `ThrottlingException answers to apply over ${SPLIT_REGIONS.length} Regions: ${splitThrottled} (its pacing is per Region).`,
    '',
    ...audit,
    '',
    ...teamHistory,
    '',
    awsCli ? '' : 'The AWS CLI is not installed: its rows are skipped.',
    '| command | KMS calls |',
    '|---|---|',
    ...callCounts.map(([name, calls]) => `| ${name} | ${calls.length}: ${countByOperation(calls)} |`),
  ])
} finally {
  await proxy.stop()
  await moto.stop()
}
