// The team journal's read rows of `npm run bench` (issue 22, open item 4): `history` over a team
// journal of 1,000 entries (2,000 objects: an intent and an outcome each) in moto's S3, the whole
// history and `--limit 10`, beside the same history read from a local journal file.
// `node bench/teamHistory.js` runs these rows alone (after `npm run build`).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { benchEnv } from './env.js'

const ENTRIES = 1000
const RUNS = 5
const BIN = fileURLToPath(new URL('../bin/kms-alias.js', import.meta.url))
const BUCKET = 'kms-alias-bench-history'

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`)

/** The journal's lines: ENTRIES updates of one alias, each an intent and its outcome, a second apart. */
function journalLines() {
  const start = Date.parse('2026-12-01T00:00:00Z')
  return Array.from({ length: ENTRIES }, (_, i) => {
    const id = `bench${String(i).padStart(11, '0')}`
    const time = new Date(start + i * 1000).toISOString()
    return [
      { type: 'intent', id, time, account: '123456789012', region: 'us-east-1', alias: 'alias/bench-history', action: 'update', previousKeyId: `k${i}`, newKeyId: `k${i + 1}`, command: 'update', reverts: null, runId: null, toolVersion: '0.1.0', by: { identity: 'arn:aws:iam::123456789012:user/bench', host: 'bench' } },
      { type: 'outcome', id, time, changed: true, verified: true },
    ]
  }).flat()
}

/** Runs the CLI once; its wall time, and its stdout checked to hold `expected` entries. */
function timed(args, env, expected) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - started
      if (error) return reject(new Error(`${args.join(' ')} failed: ${stderr}`))
      const shown = JSON.parse(stdout).length
      if (shown !== expected) return reject(new Error(`${args.join(' ')} showed ${shown} entries, not ${expected}`))
      resolve(ms)
    })
  })
}

/** The rows: history over 1,000 entries, local file and S3 (moto), all of it and --limit 10. */
export async function teamHistoryRows({ motoUrl, env }) {
  const s3 = new S3Client({ region: 'us-east-1', endpoint: motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined)
  const lines = journalLines()
  const prefix = `history-${Date.now()}/`
  // Names as the team journal gives them: a 15-digit millisecond stamp, then a random part.
  for (let start = 0; start < lines.length; start += 32) {
    await Promise.all(
      lines.slice(start, start + 32).map((line, j) =>
        s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}journal/${String(Date.parse('2026-12-01T00:00:00Z') + start + j).padStart(15, '0')}-${(start + j).toString(16).padStart(16, '0')}.json`, Body: `${JSON.stringify(line)}\n` })),
      ),
    )
  }
  const scratch = mkdtempSync(join(tmpdir(), 'kms-alias-bench-history-'))
  const localFile = join(scratch, 'journal.jsonl')
  writeFileSync(localFile, lines.map((l) => `${JSON.stringify(l)}\n`).join(''))
  const local = { ...env, KMS_ALIAS_JOURNAL: localFile }
  const team = { ...env, AWS_ENDPOINT_URL_S3: motoUrl, AWS_ENDPOINT_URL_STS: motoUrl, KMS_ALIAS_JOURNAL: `s3://${BUCKET}/${prefix.slice(0, -1)}` }
  const rows = [
    { name: `\`history --json\`, ${ENTRIES.toLocaleString('en-US')} entries, local journal file`, args: ['history', '--json'], env: local, expected: ENTRIES },
    { name: `\`history --json\`, ${ENTRIES.toLocaleString('en-US')} entries, team journal in S3 (moto)`, args: ['history', '--json'], env: team, expected: ENTRIES },
    { name: `\`history --limit 10 --json\`, ${ENTRIES.toLocaleString('en-US')} entries, local journal file`, args: ['history', '--limit', '10', '--json'], env: local, expected: 10 },
    { name: `\`history --limit 10 --json\`, ${ENTRIES.toLocaleString('en-US')} entries, team journal in S3 (moto)`, args: ['history', '--limit', '10', '--json'], env: team, expected: 10 },
  ]
  const times = rows.map(() => [])
  // Interleaved, so that load hits every row alike.
  for (let run = 0; run < RUNS; run++) for (const [i, row] of rows.entries()) times[i].push(await timed(row.args, row.env, row.expected))
  const out = ['| command | median | spread (min–max) | runs | ratio |', '|---|---|---|---|---|']
  for (const [i, row] of rows.entries()) {
    const base = median(times[i - (i % 2)])
    const ratio = i % 2 === 0 ? '1.00× (baseline)' : `${(median(times[i]) / base).toFixed(2)}×`
    out.push(`| ${row.name} | ${fmt(median(times[i]))} | ${fmt(Math.min(...times[i]))}–${fmt(Math.max(...times[i]))} | ${RUNS} | ${ratio} |`)
  }
  return out
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { startMoto } = await import('../test/support/moto.js')
  const moto = await startMoto()
  const scratch = mkdtempSync(join(tmpdir(), 'kms-alias-bench-'))
  try {
    const env = benchEnv(scratch)
    const lines = await teamHistoryRows({ motoUrl: moto.url, env })
    const text = [`team history rows, ${new Date().toISOString().slice(0, 10)}: node ${process.version}; moto ${moto.version} on loopback.`, '', ...lines].join('\n')
    console.log(text)
    mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true })
    writeFileSync(new URL('../.bench/team-history-results.md', import.meta.url), `${text}\n`)
  } finally {
    await moto.stop()
  }
}
