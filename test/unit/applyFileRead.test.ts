import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { MAX_APPLY_FILE_BYTES, readApplyFile } from '../../src/engine/applyFile.js'
import { InterruptedError } from '../../src/errors.js'
import { FakeKms } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

const keyId = (i: number) => `1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`
const jsonObject = (n: number) => `{\n${Array.from({ length: n }, (_, i) => `  "alias/a${i}": "${keyId(i)}"`).join(',\n')}\n}\n`
const jsonArray = (n: number) => `[\n${Array.from({ length: n }, (_, i) => `  {"alias": "alias/a${i}", "to": "${keyId(i)}"}`).join(',\n')}\n]\n`
const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'kms-alias-applyfile-')), name)
const TOO_LARGE_HINT = 'hint: split it into several files and apply them one after the other\n'

describe('apply file size limit (16 MiB)', () => {
  // Before: the whole file was read and parsed whatever its size (a 100 MB file took 2.6 GB).
  it('a regular file past the limit is refused from its size (exit 2), before any KMS call', async () => {
    const path = tempFile('big.txt')
    writeFileSync(path, '')
    // Sparse: the size is what counts, and nothing is read.
    truncateSync(path, MAX_APPLY_FILE_BYTES + 1)
    const kms = new FakeKms()
    const r = await run(['apply', path, '--dry-run', '--json'], { kms })
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE' }, exitCode: 2 })
    expect(r).toMatchObject({
      code: 2,
      stderr: `error: ${path} is ${MAX_APPLY_FILE_BYTES + 1} bytes; an apply file may hold at most ${MAX_APPLY_FILE_BYTES} bytes (16 MiB)\n${TOO_LARGE_HINT}`,
    })
    expect(kms.calls).toEqual([])
  })

  it('stdin past the limit is refused as soon as it passes it (exit 2)', async () => {
    const kms = new FakeKms()
    const r = await run(['apply', '-', '--dry-run'], { kms, stdin: `# ${'x'.repeat(MAX_APPLY_FILE_BYTES)}\n` })
    expect(r).toMatchObject({
      code: 2,
      stderr: `error: stdin is more than ${MAX_APPLY_FILE_BYTES} bytes; an apply file may hold at most ${MAX_APPLY_FILE_BYTES} bytes (16 MiB)\n${TOO_LARGE_HINT}`,
    })
    expect(kms.calls).toEqual([])
  })

  it('a file of exactly the limit is read', async () => {
    const line = `alias/a ${keyId(1)}\n`
    const stdin = Readable.from([line, `#${'x'.repeat(MAX_APPLY_FILE_BYTES - line.length - 2)}\n`])
    const entries = await readApplyFile('-', { stdin, signal: new AbortController().signal })
    expect(entries.map((e) => [e.alias.name, e.target.input])).toEqual([['alias/a', keyId(1)]])
  })

  it('a missing file is still "cannot read" (exit 2)', async () => {
    const r = await run(['apply', '/nonexistent/aliases.txt'], { kms: new FakeKms() })
    expect(r).toMatchObject({ code: 2, stderr: 'error: cannot read /nonexistent/aliases.txt: ENOENT\n' })
  })
})

describe('readApplyFile gives way to signals', () => {
  // The mechanism: the parse yields to the event loop between slices. Checked once: with the
  // `await nextTurn()` in readApplyFile removed, these resolve with every entry (nothing stops them).
  it.each([
    ['a JSON object', jsonObject(20_000)],
    ['a JSON array', jsonArray(20_000)],
    ['plain lines', Array.from({ length: 20_000 }, (_, i) => `alias/a${i} ${keyId(i)}`).join('\n')],
  ])('a signal during the parse of %s stops it with the signal', async (_name, text) => {
    const stop = new AbortController()
    const stdin = new PassThrough()
    stdin.end(text)
    const reading = readApplyFile('-', { stdin, signal: stop.signal })
    // Once the text is read, the first turn the parse gives way is where SIGTERM lands.
    stdin.once('end', () => setImmediate(() => stop.abort(new InterruptedError('SIGTERM'))))
    await expect(reading).rejects.toMatchObject({ exitCode: 143, message: 'stopped by SIGTERM' })
  })

  it('a pipe that never ends stops with the signal', async () => {
    const stop = new AbortController()
    const stdin = new PassThrough()
    stdin.write(`alias/a ${keyId(1)}\n`)
    const reading = readApplyFile('-', { stdin, signal: stop.signal })
    setImmediate(() => stop.abort(new InterruptedError('SIGINT')))
    await expect(reading).rejects.toMatchObject({ exitCode: 130 })
  })

  it('parses large JSON files in the order and lines they were written', async () => {
    const stdin = Readable.from([jsonArray(30_000)])
    const entries = await readApplyFile('-', { stdin, signal: new AbortController().signal })
    expect(entries).toHaveLength(30_000)
    expect(entries.slice(-1).map((e) => [e.alias.name, e.target.input, e.line])).toEqual([['alias/a29999', keyId(29_999), 30_001]])
  })
})
