import { describe, expect, it } from 'vitest'
import { explainSdkWarning } from '../../src/kms/client.js'
import { shortenMiddle, wrapLine } from '../../src/output/table.js'

describe('table cells', () => {
  it.each([
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 9, '1234…90ab'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 13, '1234ab…7890ab'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 36, '1234abcd-12ab-34cd-56ef-1234567890ab'],
  ])('shortenMiddle(%s, %i) = %s', (text, width, expected) => {
    expect(shortenMiddle(text, width)).toBe(expected)
    expect(shortenMiddle(text, width).length).toBeLessThanOrEqual(width)
  })

  it.each([
    ['the key spec changes from RSA_4096 to RSA_2048', 12, ['the key spec', 'changes from', 'RSA_4096 to', 'RSA_2048']],
    ['arn:aws:kms:us-east-1:111122223333:key/1234abcd', 24, ['arn:aws:kms:us-east-1:', '111122223333:key/', '1234abcd']],
    ['SYMMETRIC_DEFAULT', 12, ['SYMMETRIC_', 'DEFAULT']],
    ['abcdefghij', 4, ['abcd', 'efgh', 'ij']],
    ['', 5, ['']],
  ])('wrapLine(%j, %i)', (line, width, expected) => {
    expect(wrapLine(line, width)).toEqual(expected)
  })
})

describe('SDK warnings on our stderr', () => {
  it('explains the multiple-credential-sources warning in one line', () => {
    const sdk = '@aws-sdk/credential-provider-node - defaultProvider::fromEnv WARNING:\n    Multiple credential sources detected: \n    Both AWS_PROFILE and the pair ...'
    expect(explainSdkWarning(sdk, 'ops')).toBe("both a profile (ops) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile's credentials are used and the variables ignored; unset one of them")
  })

  it('passes any other warning on, marked as the SDK\'s, first line only', () => {
    expect(explainSdkWarning('\n  Something odd happened\n  details', undefined)).toBe('AWS SDK: Something odd happened')
  })
})
