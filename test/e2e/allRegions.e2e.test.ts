// update --all-regions against moto_server, spawning the built CLI. moto's multi-Region keys are
// flawed (a replica shares the primary's alias table, and the primary reports itself REPLICA once
// a replica was described: kms-facts.md section 15), so each Region holds plain keys, which moto
// keeps apart correctly, and the fault proxy answers the one DescribeKey that asks for the replica
// set as AWS would for a multi-Region primary replicated to the other Regions.
import { describe, expect, it } from 'vitest'
import { aliasInRegions, cli, cliEnv, freshJournal, journalEntries, MOTO_ACCOUNT, REGION, useFaultProxy } from './harness.js'

const proxy = useFaultProxy()
const viaProxy = (extra: Record<string, string> = {}) => cliEnv({ AWS_ENDPOINT_URL_KMS: proxy.url, ...extra })
// keyRegions() lists a replica set sorted by name.
const REPLICA_SET = ['ap-southeast-2', 'eu-west-1', 'us-east-1']

/** The first DescribeKey of `alias` in the home Region answers as a primary with replicas in the other Regions. */
function answerAsPrimary(alias: string) {
  let answered = false
  proxy.rewrite('DescribeKey', { region: REGION }, (answer: { KeyMetadata: Record<string, unknown> }, request: { KeyId?: string }) => {
    if (answered || request.KeyId !== alias) return answer
    answered = true
    const arn = String(answer.KeyMetadata.Arn)
    const place = (region: string) => ({ Arn: arn.replace(`:${REGION}:`, `:${region}:`), Region: region })
    return {
      ...answer,
      KeyMetadata: {
        ...answer.KeyMetadata,
        MultiRegion: true,
        MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', PrimaryKey: place(REGION), ReplicaKeys: REPLICA_SET.filter((r) => r !== REGION).map(place) },
      },
    }
  })
}

describe('update --all-regions against moto_server (fault proxy: the replica set moto cannot answer)', () => {
  it("repoints the alias in every Region of the current key's replica set, each to its own Region's key, journaled under one runId", async () => {
    const w = await aliasInRegions('allr', REPLICA_SET)
    answerAsPrimary(w.name)
    const journal = freshJournal()
    const r = await cli(['update', w.name, '--to', `${w.name}-next`, '--all-regions', '--yes', '--json'], viaProxy({ KMS_ALIAS_JOURNAL: journal }))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ outcome: 'updated', changed: true, verified: true, exitCode: 0 })
    expect((doc.regions as { region: string; outcome: string }[]).map((x) => `${x.region} ${x.outcome}`)).toEqual(REPLICA_SET.map((x) => `${x} updated`))
    expect(await w.targets()).toEqual(w.nexts())
    const entries = await journalEntries(journal)
    expect(entries.map((e) => [e.region, e.account, e.alias, e.previousKeyId, e.newKeyId, e.runId, e.verified])).toEqual(
      REPLICA_SET.map((region) => [region, MOTO_ACCOUNT, w.name, w.keys[region]?.old, w.keys[region]?.next, doc.runId, true]),
    )
  })

  it('refuses a single-Region key (exit 2), naming --regions, and changes nothing anywhere', async () => {
    const w = await aliasInRegions('allr-single', REPLICA_SET)
    const r = await cli(['update', w.name, '--to', `${w.name}-next`, '--all-regions', '--yes'], viaProxy())
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `error: ${w.name} points to ${w.keys[REGION]?.old}, a single-Region key in ${REGION}: --all-regions means every Region of a multi-Region key's replica set\nhint: name the Regions with --regions r1,r2,…\n`,
    )
    expect(await w.targets()).toEqual(w.olds())
  })
})
