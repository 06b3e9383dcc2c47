import { describe, expect, it } from 'vitest'
import { AwsError, CliError, NotFoundError } from '../../src/errors.js'
import { resolveGlobalOptions } from '../../src/cli/globalOptions.js'
import { inEveryRegion } from '../../src/kms/regional.js'
import { createUi } from '../../src/output/ui.js'
import { FakeKms } from '../helpers/fakeKms.js'
import { testContext } from '../helpers/testContext.js'

describe('openKms per Region and account (through the Context factory)', () => {
  it('a place replaces --region and --role-arn; the other settings stay', async () => {
    const ctx = testContext({ kms: new FakeKms() })
    const globals = resolveGlobalOptions({ region: 'us-east-1', maxAttempts: 5, roleArn: 'arn:aws:iam::111122223333:role/a' }, ctx)
    const ui = createUi(ctx, globals)
    await ui.openKms()
    await ui.openKms({ region: 'eu-west-1' })
    await ui.openKms({ region: 'ap-southeast-2', role: { arn: 'arn:aws:iam::444455556666:role/b', sessionName: 'kms-alias' } })
    expect(ctx.kmsConfigs.map(({ region, role, maxAttempts }) => ({ region, role: role?.arn, maxAttempts }))).toEqual([
      { region: 'us-east-1', role: 'arn:aws:iam::111122223333:role/a', maxAttempts: 5 },
      { region: 'eu-west-1', role: 'arn:aws:iam::111122223333:role/a', maxAttempts: 5 },
      { region: 'ap-southeast-2', role: 'arn:aws:iam::444455556666:role/b', maxAttempts: 5 },
    ])
  })

  it('warns about a plain remote endpoint once, however many Regions are opened', async () => {
    const ctx = testContext({ kms: new FakeKms() })
    const ui = createUi(ctx, resolveGlobalOptions({ endpointUrl: 'http://kms.example.test:4566' }, ctx))
    await ui.openKms({ region: 'us-east-1' })
    await ui.openKms({ region: 'eu-west-1' })
    expect(ctx.stderr()).toBe('warning: http://kms.example.test:4566 is plain http:// and not on this machine: requests and responses cross the network unencrypted\n')
  })
})

describe('inEveryRegion', () => {
  const open = async ({ region }: { region: string }) => new FakeKms({ region })

  it('keeps the order of the partitions whatever order they finish in', async () => {
    const delays: Record<string, number> = { 'us-east-1': 30, 'eu-west-1': 0, 'ap-southeast-2': 10 }
    const result = await inEveryRegion([{ region: 'us-east-1' }, { region: 'eu-west-1' }, { region: 'ap-southeast-2' }], open, async (kms, { region }) => {
      await new Promise((resolve) => setTimeout(resolve, delays[region]))
      return kms.region()
    })
    expect(result).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2'])
  })

  it.each([
    ['names the Region of a failure that does not', new AwsError('ListAliases (all) failed: KMSInternalException', 'KMSInternalException'), 'eu-west-1: ListAliases (all) failed: KMSInternalException', 8],
    ['keeps a message that names it already', new NotFoundError('alias/a not found in eu-west-1'), 'alias/a not found in eu-west-1', 4],
  ])('%s', async (_, error, message, exitCode) => {
    const failure = await inEveryRegion([{ region: 'us-east-1' }, { region: 'eu-west-1' }], open, async (_kms, { region }) => {
      if (region === 'eu-west-1') throw error
      return region
    }).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(CliError)
    expect(failure).toMatchObject({ message, exitCode })
  })
})
