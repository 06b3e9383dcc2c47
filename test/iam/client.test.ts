// The IAM adapter against aws-sdk-client-mock: what moto cannot produce (a read cut off by a stop
// signal mid-flight), and what reaches the SDK's send.
import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InterruptedError, type StopSignal } from '../../src/errors.js'
import { createIamPort } from '../../src/iam/client.js'

const iamMock = mockClient(IAMClient)
beforeEach(() => iamMock.reset())
afterEach(() => iamMock.reset())

describe('IAM adapter (aws-sdk-client-mock)', () => {
  // Failed before the fix: every abort became InterruptedError() (SIGINT, exit 130).
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('a read cut off by %s rejects with that signal (exit %i)', async (signal: StopSignal, exitCode) => {
    const stop = new AbortController()
    iamMock.on(GetAccountAuthorizationDetailsCommand).callsFake(() => {
      stop.abort(new InterruptedError(signal))
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' })
    })
    const failure = await createIamPort({ region: 'us-east-1', signal: stop.signal }).identityPolicies().catch((e: unknown) => e)
    expect(failure).toEqual(new InterruptedError(signal))
    expect(failure).toMatchObject({ exitCode })
  })

  // Tried once: without sendOptions in the paginator call, the page's send gets no abortSignal and
  // a stop signal waits for IAM to answer.
  it('every page is sent with the run\'s abort signal', async () => {
    const stop = new AbortController()
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({ IsTruncated: true, Marker: 'm1', RoleDetailList: [{ RoleName: 'a', RolePolicyList: [{ PolicyName: 'p', PolicyDocument: '%7B%7D' }] }] })
      .resolvesOnce({ IsTruncated: false })
    const policies = await createIamPort({ region: 'us-east-1', signal: stop.signal }).identityPolicies()
    expect(policies).toEqual([{ source: 'role/a, inline policy p', document: '{}' }])
    expect(iamMock.send.getCalls().map((call) => (call.args as unknown[])[1])).toEqual([{ abortSignal: stop.signal }, { abortSignal: stop.signal }])
  })
})
