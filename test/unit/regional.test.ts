import { describe, expect, it } from 'vitest'
import { AwsError, CliError, NotFoundError } from '../../src/errors.js'
import { inEveryRegion } from '../../src/kms/regional.js'
import { FakeKms } from '../helpers/fakeKms.js'

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
