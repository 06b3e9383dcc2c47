import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/cli/context.js'
import { Exit } from '../../src/errors.js'

/** Just enough of a process for createContext: no TTYs, an empty environment. */
function fakeProcess(env: Record<string, string> = {}): NodeJS.Process {
  const stream = () => Object.assign(new PassThrough(), { isTTY: false })
  return { on: () => undefined, stdin: stream(), stdout: stream(), stderr: stream(), env, platform: 'linux', exit: () => undefined } as unknown as NodeJS.Process
}

describe('createContext: --endpoint-url memory:', () => {
  it('gives one in-memory KMS per process, in us-east-1, with no credentials and without the SDK', async () => {
    const env: Record<string, string> = {}
    const ctx = createContext(fakeProcess(env))
    const first = await ctx.kms({ endpointUrl: 'memory:' })
    expect(await first.region()).toBe('us-east-1')
    const { keyId } = await first.createKey({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' })
    await first.createAlias('alias/app', keyId)
    // A later command of the same process (the demo runs several) sees the same keys and aliases.
    const second = await ctx.kms({ endpointUrl: 'memory:', region: 'us-east-1' })
    expect((await second.describeKey('alias/app')).keyId).toBe(keyId)
    // Another process starts empty.
    const other = await createContext(fakeProcess()).kms({ endpointUrl: 'memory:' })
    await expect(other.describeKey('alias/app')).rejects.toMatchObject({ exitCode: Exit.NotFound })
    // The SDK path sets this before loading the SDK; the memory path never gets there.
    expect(env).toEqual({})
  })

  it('takes --region, and only the exact endpoint memory: selects it', async () => {
    const ctx = createContext(fakeProcess())
    expect(await (await ctx.kms({ endpointUrl: 'memory:', region: 'eu-west-1' })).region()).toBe('eu-west-1')
    // No call is made on it: it is the SDK adapter, whose path prepares the environment for the SDK
    // (the memory path never does; ScheduleKeyDeletion, which told them apart, is on both since issue 21).
    const env: Record<string, string> = {}
    const sdk = await createContext(fakeProcess(env)).kms({ endpointUrl: 'memory://', region: 'eu-central-1' })
    expect(await sdk.region()).toBe('eu-central-1')
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true')
  })
})
