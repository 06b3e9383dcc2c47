// kms-alias journal export|import, in-process on the local journal (the team side is in
// test/e2e/team.e2e.test.ts against moto's S3).
import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'
import { defaultJournal } from '../helpers/testContext.js'

describe('kms-alias journal', () => {
  it.each([
    [['journal', 'import'], 'error: journal import needs the file to import\nhint: kms-alias journal import <file> --journal s3://<bucket>/<prefix>\n'],
    [['journal', 'export', 'x.jsonl'], 'error: journal export takes no file: it prints to stdout\nhint: kms-alias journal export > journal.jsonl\n'],
  ])('%j is a usage error (exit 2)', async (args, stderr) => {
    const r = await run(args)
    expect(r).toMatchObject({ code: 2, stdout: '', stderr })
  })

  it('an unknown action is a usage error naming the choices', async () => {
    const r = await run(['journal', 'sync'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`error: command-argument value 'sync' is invalid for argument 'action'. Allowed choices are export, import.`)
  })

  it('export prints the local journal line by line (intents and outcomes), skipping lines that are not journal lines with a warning', async () => {
    const a = key()
    const b = key()
    const kms = new FakeKms({ keys: [a, b], aliases: { 'alias/app': a.keyId, 'alias/keep': a.keyId } })
    const journal = defaultJournal()
    expect((await run(['update', 'alias/app', '--to', b.keyId], { kms, journal })).code).toBe(0)
    writeFileSync(journal, 'torn {\n', { flag: 'a' })
    const r = await run(['journal', 'export'], { journal })
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => [l.type, l.changed ?? null, l.verified ?? null])).toEqual([
      ['intent', null, null],
      ['outcome', true, false],
      ['outcome', true, true],
    ])
    expect(lines[0]).toMatchObject({ alias: 'alias/app', previousKeyId: a.keyId, newKeyId: b.keyId })
    expect(r.stderr).toBe(`warning: skipped 1 line of ${journal} that is not a journal line\n`)
  })
})
