// Per-partition pacing on the fake clock of the test Context, where the span can be exact. The
// same property against moto and the fault proxy's rate limit is in regionsWrite.e2e.test.ts; there
// the wall clock of a loaded machine can only give lower bounds.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KmsConfig } from '../../src/kms/port.js'
import { FakeKms, key } from '../helpers/fakeKms.js'
import { run } from '../helpers/run.js'

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
const PER_REGION = 4

function mappingFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-pacing-')), 'aliases.txt')
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

describe('apply over several Regions: pacing (fake clock)', () => {
  // Tried once: with one pacer shared by every partition (createPacer made once in apply), the span
  // is 11 intervals (5.5 s of fake time at --rate 2) and this fails.
  it('paces each Region on its own: 3 Regions x 4 changes at --rate 2 take 3 intervals (1.5 s of fake time), not 11', async () => {
    const lines: string[] = []
    const ports = new Map<string, FakeKms>()
    for (const region of REGIONS) {
      const [old, next] = [key({ region }), key({ region })]
      const aliases: Record<string, string> = { 'alias/keep': old.keyId }
      for (let i = 0; i < PER_REGION; i++) {
        aliases[`alias/p${i}`] = old.keyId
        lines.push(`alias/p${i} ${next.keyId} ${region}`)
      }
      ports.set(region, new FakeKms({ keys: [old, next], aliases, region }))
    }
    const start = new Date('2026-11-29T00:00:00Z')
    const port = (config: KmsConfig) => ports.get(config.region ?? 'us-east-1') as FakeKms
    const r = await run(['apply', mappingFile(lines), '--rate', '2', '--no-verify', '--yes', '--json'], { kms: port, start })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).summary).toMatchObject({ total: 12, applied: 12, failed: 0 })
    for (const kms of ports.values()) expect(kms.mutations()).toHaveLength(PER_REGION)
    // The test clock's sleep moves time on by what each sleeper asks, so concurrent pacers that
    // share no slots add no time for one another.
    expect(r.ctx.now().getTime() - start.getTime()).toBe(1500)
  })
})
