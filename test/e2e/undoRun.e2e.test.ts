// undo --run against moto_server, spawning the built CLI: an apply run journaled, then reverted as
// a whole, newest first; and refused as a whole when another writer moved one of its aliases.
import { UpdateAliasCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { aliasOnNewKey, cli, cliEnv, createKey, freshJournal, journalEntries, mappingFile, moto, targetOf, uniqueAlias } from './harness.js'

/** alias a and c on an old key (with a keeper), b absent; an apply run moves a and c to a new key and creates b there. */
async function appliedRun(label: string) {
  const { alias: a, keyId: old } = await aliasOnNewKey(`${label}-a`)
  const { alias: c } = await aliasOnNewKey(`${label}-c`)
  await moto().send(new UpdateAliasCommand({ AliasName: c, TargetKeyId: old }))
  const b = uniqueAlias(`${label}-b`)
  const next = await createKey()
  const journal = freshJournal()
  const env = cliEnv({ KMS_ALIAS_JOURNAL: journal })
  const apply = await cli(['apply', mappingFile([`${a} ${next}`, `${b} ${next}`, `${c} ${next}`]), '--yes', '--json'], env)
  expect(apply.code).toBe(0)
  const runId = JSON.parse(apply.stdout).runId as string
  expect([await targetOf(a), await targetOf(b), await targetOf(c)]).toEqual([next, next, next])
  return { a, b, c, old, next, journal, env, runId }
}

describe('undo --run against moto_server', () => {
  it('reverts every change of an apply run, newest first, and journals the reverts under one new runId', async () => {
    const { a, b, c, old, next, journal, env, runId } = await appliedRun('undorun')
    const r = await cli(['undo', '--run', runId, '--yes', '--json'], env)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    type Change = { alias: string; action: string; fromKeyId: string; toKeyId: string | null; outcome: string }
    expect(doc.changes.map((x: Change) => [x.alias, x.action, x.fromKeyId, x.toKeyId, x.outcome])).toEqual([
      [c, 'update', next, old, 'reverted'],
      [b, 'delete', next, null, 'reverted'],
      [a, 'update', next, old, 'reverted'],
    ])
    expect([await targetOf(a), await targetOf(b), await targetOf(c)]).toEqual([old, undefined, old])
    const undos = (await journalEntries(journal)).filter((e) => e.command === 'undo')
    expect(undos.map((e) => [e.alias, e.runId, e.verified])).toEqual([
      [c, doc.undoRunId, true],
      [b, doc.undoRunId, true],
      [a, doc.undoRunId, true],
    ])
    // Done once: the run has nothing left to undo.
    const again = await cli(['undo', '--run', runId, '--yes'], env)
    expect(again.code).toBe(4)
    expect(again.stderr).toBe(`error: run ${runId} has no change left to undo\nhint: kms-alias history --run shows what it did\n`)
  })

  it('all or nothing: an alias another writer moved since the run means nothing is reverted (exit 5)', async () => {
    const { a, b, c, next, env, runId } = await appliedRun('undorun-moved')
    const theirs = await createKey()
    await moto().send(new UpdateAliasCommand({ AliasName: a, TargetKeyId: theirs }))
    const r = await cli(['undo', '--run', runId, '--yes', '--json'], env)
    expect(r.code).toBe(5)
    const doc = JSON.parse(r.stdout)
    expect(doc.changes.map((x: { alias: string; outcome: string }) => `${x.alias} ${x.outcome}`)).toEqual([`${c} not-attempted`, `${b} not-attempted`, `${a} conflict`])
    expect(doc.error.message).toBe(`${a} changed since run ${runId}; nothing was undone`)
    expect([await targetOf(a), await targetOf(b), await targetOf(c)]).toEqual([theirs, next, next])
  })
})
