import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  type KeySpec,
  type KeyUsageType,
} from '@aws-sdk/client-kms'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js'

export const BIN = fileURLToPath(new URL('../../bin/kms-alias.js', import.meta.url))
export const REGION = 'us-east-1'
export const MOTO_ACCOUNT = '123456789012'

export const motoUrl = () => inject('motoUrl')

// An empty HOME: no ~/.aws files of the machine can leak into a test.
const home = mkdtempSync(join(tmpdir(), 'kms-alias-home-'))

/** The environment every spawned CLI gets: loopback moto, test credentials, no metadata service. */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_KMS: motoUrl(),
    // STS too (undo asks GetCallerIdentity for an entry's account): never the real endpoint.
    AWS_ENDPOINT_URL_STS: motoUrl(),
    ...extra,
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export function cli(args: string[], env: Record<string, string> = cliEnv(), bin = BIN): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

let client: KMSClient | undefined
/** A client of our own to set up fixtures and read back what moto really holds. */
export function moto(): KMSClient {
  client ??= new KMSClient({ region: REGION, endpoint: motoUrl(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  return client
}

const regionalClients = new Map<string, KMSClient>()
/** A client of our own in another Region of moto's default account (moto keeps Regions apart). */
export function motoIn(region: string): KMSClient {
  let regional = regionalClients.get(region)
  if (!regional) {
    regional = new KMSClient({ region, endpoint: motoUrl(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
    regionalClients.set(region, regional)
  }
  return regional
}

/** In each Region, plain keys (moto's multi-Region replicas share one alias table): `name` and `name`-keep on an old key, `name`-next on a new one. */
export async function aliasInRegions(label: string, regions: readonly string[]) {
  const name = uniqueAlias(label)
  const keys: Record<string, { old: string; next: string }> = {}
  for (const region of regions) {
    const client = motoIn(region)
    const newKey = async () => (await client.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.KeyId ?? ''
    const [old, next] = [await newKey(), await newKey()]
    for (const [aliasName, keyId] of [[name, old], [`${name}-keep`, old], [`${name}-next`, next]] as const) {
      await client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId }))
    }
    keys[region] = { old, next }
  }
  const targets = async () =>
    Object.fromEntries(
      await Promise.all(
        regions.map(async (region) => {
          const out = await motoIn(region).send(new ListAliasesCommand({}))
          return [region, out.Aliases?.find((a) => a.AliasName === name)?.TargetKeyId] as const
        }),
      ),
    )
  const each = (which: 'old' | 'next') => Object.fromEntries(regions.map((r) => [r, keys[r]?.[which]]))
  return { name, keys, targets, olds: () => each('old'), nexts: () => each('next') }
}

export async function createKey(keySpec: KeySpec = 'SYMMETRIC_DEFAULT', keyUsage: KeyUsageType = 'ENCRYPT_DECRYPT'): Promise<string> {
  // KeyUsage is always passed: moto omits it from DescribeKey otherwise.
  const out = await moto().send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage }))
  return out.KeyMetadata?.KeyId ?? ''
}

export const uniqueAlias = (label: string) => `alias/e2e-${label}-${randomUUID().slice(0, 8)}`

export async function createAlias(name: string, keyId: string): Promise<void> {
  await moto().send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }))
}

/** The key an alias points to on the emulator, read independently of kms-alias. */
export async function targetOf(name: string): Promise<string | undefined> {
  const out = await moto().send(new ListAliasesCommand({}))
  return out.Aliases?.find((a) => a.AliasName === name)?.TargetKeyId
}

export const disableKey = (keyId: string) => moto().send(new DisableKeyCommand({ KeyId: keyId }))
export const scheduleDeletion = (keyId: string) => moto().send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))

/** An alias on a fresh key, with a second alias so the old key is not orphaned by the change. */
export async function aliasOnNewKey(label: string, spec?: KeySpec, usage?: KeyUsageType): Promise<{ alias: string; keyId: string }> {
  const keyId = await createKey(spec, usage)
  const alias = uniqueAlias(label)
  await createAlias(alias, keyId)
  await createAlias(`${alias}-keep`, keyId)
  return { alias, keyId }
}

/** Reads the journal a CLI run wrote (the harness's HOME, or KMS_ALIAS_JOURNAL when set). */
export async function journalEntries(path: string) {
  const { readJournal } = await import('../../src/engine/journal.js')
  return (await readJournal(path)).entries
}

/** A fresh journal file for one test. */
export const freshJournal = () => join(mkdtempSync(join(tmpdir(), 'kms-alias-e2e-journal-')), 'journal.jsonl')

/** A mapping file for apply. */
export function mappingFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kms-alias-e2e-apply-')), 'aliases.txt')
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/**
 * The fault proxy in front of moto for the tests of the file or describe block that calls this:
 * started before them, reset before each, stopped after them. Usable inside those tests.
 */
export function useFaultProxy(): FaultProxy {
  let started: FaultProxy | undefined
  beforeAll(async () => {
    started = await startFaultProxy(motoUrl())
  })
  afterAll(() => started?.stop())
  beforeEach(() => started?.reset())
  return new Proxy({} as FaultProxy, {
    get(_, property) {
      if (!started) throw new Error('the fault proxy starts in beforeAll: use it inside a test or a hook after it')
      const value: unknown = Reflect.get(started, property)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(started) : value
    },
  })
}
