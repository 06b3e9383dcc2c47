// Endpoints that are not KMS: one that accepts and never answers, one that answers HTML or an empty
// body. moto cannot behave like either, so each is a small loopback server of this file.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, cli, cliEnv } from './harness.js'

/** Accepts connections, reads the requests, answers nothing; counts requests that arrived. */
function startSilentServer(): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let requests = 0
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket)
    socket.once('data', () => (requests += 1))
    socket.on('close', () => sockets.delete(socket))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => requests,
        stop: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

/** Answers every request with `status`, the body and content type of the test that set them. */
function startAnsweringServer(): Promise<{ url: string; answer: (status: number, body: string, type?: string) => void; stop: () => Promise<void> }> {
  let reply = { status: 200, body: '', type: undefined as string | undefined }
  const server: HttpServer = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(reply.status, reply.type ? { 'content-type': reply.type } : {})
      res.end(reply.body)
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        answer: (status, body, type) => (reply = { status, body, type }),
        stop: () => new Promise((done) => server.close(() => done())),
      })
    })
  })
}

async function until(test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('an endpoint that accepts and never answers (local TCP server)', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>
  beforeAll(async () => {
    silent = await startSilentServer()
  })
  afterAll(() => silent.stop())

  // Before the fix the paginator sent ListAliases without the abort signal: these runs waited for
  // --timeout (10 s here, one attempt) and exited 8 whatever the signal; the exit code fails them.
  it.each([
    ['list', 'SIGINT', 130, 'interrupted', ['list'], 1],
    ['list', 'SIGTERM', 143, 'stopped by SIGTERM', ['list'], 1],
    ['list --regions', 'SIGINT', 130, 'interrupted', ['list', '--regions', 'us-east-1,eu-west-1'], 2],
    ['list --regions', 'SIGTERM', 143, 'stopped by SIGTERM', ['list', '--regions', 'us-east-1,eu-west-1'], 2],
  ] as const)('%s stops on %s while ListAliases waits: exit %i, the error says so', async (_name, signal, code, message, args, waiting) => {
    const before = silent.requests()
    const child = spawn(process.execPath, [BIN, ...args, '--timeout', '10', '--max-attempts', '1', '--json'], {
      env: cliEnv({ AWS_ENDPOINT_URL_KMS: silent.url }),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const done = new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)))
    await until(() => silent.requests() >= before + waiting)
    child.kill(signal)
    expect(await done).toBe(code)
    expect(stderr).toBe(`error: ${message}\n`)
    expect(JSON.parse(stdout)).toEqual({ error: { code: signal === 'SIGINT' ? 'INTERRUPTED' : 'TERMINATED', message }, exitCode: code })
  })
})

describe('a large JSON apply file (the endpoint never answers, so the run waits on its first read)', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>
  beforeAll(async () => {
    silent = await startSilentServer()
  })
  afterAll(() => silent.stop())

  // Before: the JSON parse was quadratic (40,000 entries took 29 s, more here) and held the event
  // loop, so this run reached no KMS call within the test's time limit and ignored SIGTERM meanwhile.
  it.each(['object', 'array'] as const)('a JSON %s of 40,000 entries is planned, and SIGTERM stops the run (exit 143)', async (shape) => {
    const keyId = (i: number) => `1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`
    const entries = Array.from({ length: 40_000 }, (_, i) =>
      shape === 'object' ? `  "alias/a${i}": "${keyId(i)}"` : `  {"alias": "alias/a${i}", "to": "${keyId(i)}"}`,
    )
    const file = join(mkdtempSync(join(tmpdir(), 'kms-alias-e2e-apply-')), 'aliases.json')
    writeFileSync(file, shape === 'object' ? `{\n${entries.join(',\n')}\n}\n` : `[\n${entries.join(',\n')}\n]\n`)
    const before = silent.requests()
    const child = spawn(process.execPath, [BIN, 'apply', file, '--dry-run', '--json', '--timeout', '20'], { env: cliEnv({ AWS_ENDPOINT_URL_KMS: silent.url }) })
    let stdout = ''
    child.stdout.on('data', (c) => (stdout += c))
    const done = new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)))
    await until(() => silent.requests() > before)
    child.kill('SIGTERM')
    expect(await done).toBe(143)
    expect(JSON.parse(stdout)).toMatchObject({ dryRun: true, exitCode: 143, error: { code: 'TERMINATED' } })
  })
})

describe('an endpoint that answers what KMS never would (local HTTP server)', () => {
  let server: Awaited<ReturnType<typeof startAnsweringServer>>
  beforeAll(async () => {
    server = await startAnsweringServer()
  })
  afterAll(() => server.stop())
  const hint = (service: string) =>
    `hint: check that the endpoint is a ${service} endpoint (--endpoint-url, AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or the profile's endpoint_url)\n`

  // Before: "SyntaxError: Unexpected token '<', "<html><bod"... is not valid JSON / Deserialization
  // error: to see the raw response, inspect the hidden field {error}.$response on this object."
  it('an HTML 404 says the status, the endpoint and the operation (exit 8)', async () => {
    server.answer(404, '<html><body>Not Found</body></html>', 'text/html; charset=utf-8')
    const r = await cli(['list', '--max-attempts', '1'], cliEnv({ AWS_ENDPOINT_URL_KMS: server.url }))
    expect(r).toEqual({
      code: 8,
      stdout: '',
      stderr: `error: KMS at ${server.url} answered ListAliases (all) with HTTP 404 and a body that is not JSON (text/html) (1 attempt)\n${hint('KMS')}`,
    })
  })

  // Before: "error: DescribeKey alias/app failed (2 attempts): Unknown: UnknownError".
  it('an empty 503 says the status, the endpoint and the operation, after the retries (exit 8)', async () => {
    server.answer(503, '')
    const r = await cli(['show', 'alias/app', '--max-attempts', '2'], cliEnv({ AWS_ENDPOINT_URL_KMS: server.url }))
    expect(r).toEqual({
      code: 8,
      stdout: '',
      stderr: `error: KMS at ${server.url} answered DescribeKey alias/app with HTTP 503 and no error name in its body (2 attempts)\nhint: the service failed without saying why; try again later, or check the endpoint\n`,
    })
  })

  it('a 200 that is not JSON, under --json: the failure document says the same', async () => {
    server.answer(200, 'hello', 'text/plain')
    const r = await cli(['show', 'alias/app', '--max-attempts', '1', '--json'], cliEnv({ AWS_ENDPOINT_URL_KMS: server.url }))
    expect(r.code).toBe(8)
    const message = `KMS at ${server.url} answered DescribeKey alias/app with HTTP 200 and a body that is not JSON (text/plain) (1 attempt)`
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'AWS', message, hint: hint('KMS').slice('hint: '.length, -1) }, exitCode: 8 })
    expect(r.stderr).toBe(`error: ${message}\n${hint('KMS')}`)
  })
})
