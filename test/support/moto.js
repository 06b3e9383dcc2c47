// Starts and stops moto's KMS emulator (moto_server) on a free loopback port.
// Plain JavaScript so that vitest's globalSetup and the benchmark script share it.
import { execFile, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const MIN_MOTO = [5, 2, 0]
const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 20_000

/** The command that starts moto; KMS_ALIAS_MOTO_SERVER overrides it. */
const motoCommand = () => process.env.KMS_ALIAS_MOTO_SERVER || 'moto_server'

/** Fails with a message that says how to install moto when it is missing or too old. */
export async function checkMoto() {
  let version
  try {
    const { stdout } = await promisify(execFile)('python3', ['-c', "from importlib.metadata import version; print(version('moto'))"])
    version = stdout.trim()
  } catch {
    throw new Error("moto is not installed for python3: run pip install 'moto[server]>=5.2'")
  }
  const parts = version.split('.').map((p) => Number.parseInt(p, 10))
  const tooOld = MIN_MOTO.some((min, i) => {
    const earlier = MIN_MOTO.slice(0, i).every((m, j) => parts[j] === m)
    return earlier && (parts[i] ?? 0) < min
  })
  if (tooOld) throw new Error(`moto ${version} is too old (older versions create a missing alias on UpdateAlias): run pip install 'moto[server]>=5.2'`)
  return version
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function waitUntilReady(url, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`)
    try {
      const res = await fetch(`${url}/moto-api/`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`moto_server did not answer at ${url} within ${READY_TIMEOUT_MS} ms`)
}

/** Starts moto_server; resolves to { url, version, stop }. */
export async function startMoto() {
  const version = await checkMoto()
  const port = await freePort()
  // moto logs every request. Into a file, not a pipe: a pipe nobody drains (a parent blocked in
  // spawnSync) fills up and then stalls moto itself.
  const logPath = join(mkdtempSync(join(tmpdir(), 'kms-alias-moto-')), 'moto.log')
  const logFd = openSync(logPath, 'w')
  const child = spawn(motoCommand(), ['-H', HOST, '-p', String(port)], { stdio: ['ignore', logFd, logFd] })
  closeSync(logFd)
  const log = () => readFileSync(logPath, 'utf8').slice(-4000)
  const spawnFailed = new Promise((_, reject) => child.once('error', (e) => reject(new Error(`cannot start ${motoCommand()}: ${e.message}`))))
  const url = `http://${HOST}:${port}`
  try {
    await Promise.race([waitUntilReady(url, child), spawnFailed])
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${error.message}\n${log()}`)
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return { url, version, stop }
}
