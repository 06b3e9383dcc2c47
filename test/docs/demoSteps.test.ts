// docs/commands.md's description of the demo against the demo itself: the number of steps, the
// numbered list, and which steps end with which exit code. Failed before the fix: the docs still
// described eleven steps (exit 3 at 3, 8 and 10, exit 9 at 11) after the demo grew to thirteen.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createMemoryCloudTrail } from '../../src/cloudtrail/memory.js'
import { createMemoryKms, MemoryKmsStore } from '../../src/kms/memory.js'
import { run } from '../helpers/run.js'

const doc = readFileSync(new URL('../../docs/commands.md', import.meta.url), 'utf8')
const demoSection = doc.slice(doc.indexOf('<!-- END generated options demo -->'), doc.indexOf('The journal of the tour'))

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen']

/** "3", "3 and 8", "3, 8 and 11". */
const listed = (steps: number[]) => (steps.length < 2 ? steps.join('') : `${steps.slice(0, -1).join(', ')} and ${steps.at(-1)}`)

describe('docs/commands.md describes the demo as it runs', () => {
  it('the step count, the numbered list and the exit codes of the steps that fail on purpose', async () => {
    const store = new MemoryKmsStore({ now: () => new Date('2026-11-29T00:00:00Z') })
    const r = await run(['demo', '--json'], { kms: createMemoryKms(store), cloudtrail: (config) => createMemoryCloudTrail(store.trail, config) })
    expect(r.code).toBe(0)
    const steps = (JSON.parse(r.stdout) as { steps: { step: number; exitCode: number }[] }).steps
    expect(demoSection).toContain(`in ${NUMBERS[steps.length]} steps`)
    expect([...demoSection.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]))).toEqual(steps.map((s) => s.step))
    const ending = (code: number) => steps.filter((s) => s.exitCode === code).map((s) => s.step)
    const three = ending(3)
    const nine = ending(9)
    expect(demoSection).toContain(
      `(step${three.length === 1 ? '' : 's'} ${listed(three)} with their exit 3, step${nine.length === 1 ? '' : 's'} ${listed(nine)} with its exit 9)`,
    )
    expect(steps.every((s) => [0, 3, 9].includes(s.exitCode))).toBe(true)
  })
})
