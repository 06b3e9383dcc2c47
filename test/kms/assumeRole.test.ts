// The AssumeRole path of the adapter against a stub STS on 127.0.0.1, for what moto cannot do:
// refuse AssumeRole, and hand out credentials that are about to expire. KMS calls go to moto.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AccessError } from '../../src/errors.js'
import { createKmsPort } from '../../src/kms/client.js'
import { motoUrl } from '../e2e/harness.js'

let server: Server
let stsUrl = ''
let assumed: string[] = []
let answer: 'ok' | 'denied' = 'ok'
let lifetimeMs = 3_600_000

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const params = new URLSearchParams(body)
      assumed.push(`${params.get('Action')} ${params.get('RoleArn')} ${params.get('RoleSessionName')} ${params.get('ExternalId') ?? '-'}`)
      res.setHeader('content-type', 'text/xml')
      if (answer === 'denied') {
        res.statusCode = 403
        res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r1</RequestId></ErrorResponse>')
        return
      }
      const expiration = new Date(Date.now() + lifetimeMs).toISOString()
      res.end(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
          `<AccessKeyId>ASIASTUB${assumed.length}</AccessKeyId><SecretAccessKey>stub-secret</SecretAccessKey><SessionToken>stub-token</SessionToken><Expiration>${expiration}</Expiration>` +
          '</Credentials><AssumedRoleUser><Arn>arn:aws:sts::222233334444:assumed-role/ops/kms-alias</Arn><AssumedRoleId>AROASTUB:kms-alias</AssumedRoleId></AssumedRoleUser>' +
          '</AssumeRoleResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></AssumeRoleResponse>',
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env.AWS_ENDPOINT_URL_STS = stsUrl
})

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_STS
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  assumed = []
  answer = 'ok'
  lifetimeMs = 3_600_000
})

// Each test uses a session name of its own: the adapter shares one provider per role for the run.
const port = (sessionName: string, externalId?: string) =>
  createKmsPort({ region: 'eu-west-1', endpointUrl: motoUrl(), maxAttempts: 1, role: { arn: 'arn:aws:iam::222233334444:role/ops', sessionName, ...(externalId ? { externalId } : {}) } })

describe('--role-arn credentials (stub STS on loopback: denial and short-lived credentials moto cannot produce)', () => {
  it('assumes the role once with the session name and external ID, and reuses the credentials across ports', async () => {
    await port('shared-1', 'tenant-7').listAliases()
    await port('shared-1', 'tenant-7').listAliases()
    expect(assumed).toEqual(['AssumeRole arn:aws:iam::222233334444:role/ops shared-1 tenant-7'])
  })

  it('assumes the role again only when the credentials are about to expire', async () => {
    // Tried: with the expiry check in assumedRoleCredentials removed, the call after the clock
    // jump reuses the dying credentials and only one AssumeRole is seen.
    lifetimeMs = 10 * 60_000
    const kms = port('short-lived')
    await kms.listAliases()
    await kms.listAliases()
    expect(assumed).toHaveLength(1)
    // Only Date is faked: 9.5 minutes on, the credentials have 30 s left.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 9.5 * 60_000 })
    try {
      await kms.listAliases()
      await kms.listAliases()
    } finally {
      vi.useRealTimers()
    }
    expect(assumed).toEqual(['AssumeRole arn:aws:iam::222233334444:role/ops short-lived -', 'AssumeRole arn:aws:iam::222233334444:role/ops short-lived -'])
  })

  it('a refused AssumeRole is an access error (exit 7) naming the role, with a trust-policy hint', async () => {
    answer = 'denied'
    const error = await port('denied').listAliases().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AccessError)
    expect(error).toMatchObject({
      exitCode: 7,
      message: 'cannot assume arn:aws:iam::222233334444:role/ops: AccessDenied: User is not authorized to perform: sts:AssumeRole',
      hint: "check that the role's trust policy lets these credentials assume it (and the --external-id it asks for)",
    })
    // A failed AssumeRole is not kept: the next call asks STS again.
    answer = 'ok'
    await port('denied').listAliases()
    expect(assumed).toHaveLength(2)
  })
})
