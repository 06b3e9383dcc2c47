// GetKeyLastUsage against an endpoint that lacks it: moto_server 5.2.1 answers it with an HTML 500.
import { describe, expect, it } from 'vitest'
import { AwsError } from '../../src/errors.js'
import { createKmsPort } from '../../src/kms/client.js'
import { createKey, motoUrl, REGION } from '../e2e/harness.js'

describe('GetKeyLastUsage where the endpoint does not implement it (moto)', () => {
  // Failed before the fix: "KMS at … answered GetKeyLastUsage … with HTTP 500 and a body that is not JSON (text/html) (3 attempts)".
  it('says the endpoint does not seem to implement it and that last use is unknown', async () => {
    const keyId = await createKey()
    const error = await createKmsPort({ region: REGION, endpointUrl: motoUrl(), maxAttempts: 1 })
      .getKeyLastUsage(keyId)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AwsError)
    expect(error).toMatchObject({
      message: `KMS at ${motoUrl()} does not seem to implement GetKeyLastUsage (it answered HTTP 500 and a body that is not JSON (text/html); an emulator?): when the key was last used is unknown`,
      hint: 'AWS KMS has GetKeyLastUsage; against an endpoint without it, what depends on last use cannot be told',
    })
  })
})
