// The run engine (src/engine/run.ts) on scripted items, without KMS: how far a run gets and what it
// ends on, decided from the steps' outcome values. Mechanism tests say which mechanism they cover.
import { describe, expect, it } from 'vitest'
import { CliError, ConflictError, Exit } from '../../src/errors.js'
import { runItems, type RunSpec } from '../../src/engine/run.js'
import type { WriteOutcome, Writer } from '../../src/engine/writePath.js'
import { testContext } from '../helpers/testContext.js'

interface Item {
  name: string
  blocked?: boolean
  pending?: boolean
  fails?: boolean
}

const written = (): WriteOutcome => ({ status: 'written', changed: true, journalId: null })
const failed = (name: string): WriteOutcome => ({ status: 'failed', changed: false, journalId: null, error: new CliError(`${name} failed`, Exit.Aws) })
const noWriter = { verified: async () => undefined } as unknown as Writer

function spec(items: Item[], overrides: Partial<RunSpec<Item>> = {}): { spec: RunSpec<Item>; sent: string[] } {
  const sent: string[] = []
  return {
    sent,
    spec: {
      items,
      blocked: (i) => i.blocked === true,
      pending: (i) => i.pending !== false,
      dryRun: false,
      yes: true,
      format: 'text',
      refusal: (blocked) => new CliError(`refused: ${blocked.map((i) => i.name).join(', ')}`, Exit.Refused),
      question: (pending) => `change ${pending.length}?`,
      declined: 'cancelled at the prompt; nothing was changed',
      writer: () => noWriter,
      write: async (i) => {
        sent.push(i.name)
        return i.fails ? failed(i.name) : written()
      },
      ...overrides,
    },
  }
}

describe('runItems: the gate decides before any write', () => {
  it.each([
    ['a block refuses the run', [{ name: 'a' }, { name: 'b', blocked: true }], {}, 'refused', 'refused: b'],
    ['nothing pending is nothing to do', [{ name: 'a', pending: false }], {}, 'nothing-to-do', undefined],
    ['a dry run writes nothing', [{ name: 'a' }], { dryRun: true }, 'dry-run', undefined],
    ['a block wins over a dry run', [{ name: 'a', blocked: true }], { dryRun: true }, 'refused', 'refused: a'],
  ] as const)('%s', async (_name, items, overrides, stage, message) => {
    const { spec: s, sent } = spec([...items], overrides)
    const result = await runItems(testContext(), s)
    expect(result.stage).toBe(stage)
    expect(result.failure?.message).toBe(message)
    expect(sent).toEqual([])
  })

  it('a declined prompt (terminal, no --yes) ends with exit 130 and writes nothing', async () => {
    const ctx = testContext({ tty: true, answers: ['n'] })
    const { spec: s, sent } = spec([{ name: 'a' }, { name: 'b' }], { yes: false })
    const result = await runItems(ctx, s)
    expect([result.stage, result.failure?.message, result.failure?.exitCode]).toEqual(['declined', 'cancelled at the prompt; nothing was changed', Exit.Interrupted])
    expect(ctx.prompts).toEqual(['change 2?'])
    expect(sent).toEqual([])
  })
})

describe('runItems: writes, stop and rollback', () => {
  // The stop across lanes: with the engine's checks of `stop` removed, lane one went on to write
  // b and c after lane two had failed (tried once). Lane one's first write returns only after lane
  // two's failure has been handled (a later macrotask), so the order is fixed.
  it('a failure in one lane stops the other lanes before their next write, then rolls back what was written', async () => {
    const items: Item[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'w', fails: true }]
    const rolledBack: string[] = []
    const { spec: s, sent } = spec(items, {
      lanes: (pending) => [pending.slice(0, 3), pending.slice(3)],
      write: async (i) => {
        sent.push(i.name)
        if (i.fails) return failed(i.name)
        await new Promise((resolve) => setTimeout(resolve, 0))
        return written()
      },
      rollback: {
        write: async (i) => {
          rolledBack.push(i.name)
          return written()
        },
        leftAlone: (failure) => failure,
      },
    })
    const result = await runItems(testContext(), s)
    expect(sent).toEqual(['a', 'w'])
    expect(rolledBack).toEqual(['a'])
    expect([result.stage, result.stopped, result.failure?.message]).toEqual(['written', true, 'w failed'])
    expect(items.map((i) => result.traces.get(i)?.write?.status ?? '-')).toEqual(['written', '-', '-', 'failed'])
  })

  // The rollback's guard answer: another writer moved b since, so b is left alone and the run ends on that.
  it('a rollback refused by the guard (conflict) makes the run end on leftAlone, naming the item', async () => {
    const items: Item[] = [{ name: 'a' }, { name: 'b' }, { name: 'c', fails: true }]
    const { spec: s } = spec(items, {
      rollback: {
        write: async (i) =>
          i.name === 'b' ? { status: 'conflict', changed: false, seen: 'k9', journalId: null, error: new ConflictError('b moved') } : written(),
        leftAlone: (failure, left) => new ConflictError(`${failure.message}; not rolled back: ${left.map((i) => i.name).join(', ')}`),
      },
    })
    const result = await runItems(testContext(), s)
    expect([result.failure?.message, result.failure?.exitCode]).toEqual(['c failed; not rolled back: b', Exit.Conflict])
    expect(items.map((i) => result.traces.get(i)?.rollback?.status ?? '-')).toEqual(['written', 'conflict', '-'])
  })

  it('without a rollback (undo --run) what was written stays, and the run ends on the failure', async () => {
    const items: Item[] = [{ name: 'a' }, { name: 'b', fails: true }, { name: 'c' }]
    const { spec: s, sent } = spec(items)
    const result = await runItems(testContext(), s)
    expect(sent).toEqual(['a', 'b'])
    expect(result.failure?.message).toBe('b failed')
    expect(result.traces.get(items[0] as Item)?.rollback).toBeUndefined()
  })

  it('an interrupting signal before a write stops the run as an interruption (exit 130), nothing more sent', async () => {
    const ctx = testContext()
    const items: Item[] = [{ name: 'a' }, { name: 'b' }]
    const { spec: s, sent } = spec(items, {
      write: async (i) => {
        sent.push(i.name)
        ctx.abort()
        return written()
      },
    })
    const result = await runItems(ctx, s)
    expect(sent).toEqual(['a'])
    expect(result.failure?.exitCode).toBe(Exit.Interrupted)
  })
})
