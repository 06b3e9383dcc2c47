import { describe, expect, it } from 'vitest'
import { explainSdkWarning } from '../../src/kms/client.js'
import { Chalk } from 'chalk'
import { breakIdentifier, renderTable, wrapLine } from '../../src/output/table.js'

describe('table cells', () => {
  // Issue 19.13: an identifier is never shortened, and breaks only after its own separators.
  it.each([
    ['a key ID, whole at any level but the last', '1234abcd-12ab-34cd-56ef-1234567890ab', 20, 1, ['1234abcd-12ab-34cd-56ef-1234567890ab']],
    ['a key ID at the last level: after a hyphen', '1234abcd-12ab-34cd-56ef-1234567890ab', 20, 2, ['1234abcd-12ab-34cd-', '56ef-1234567890ab']],
    ['an ARN: after / and : first, the key ID whole', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 50, 2, ['arn:aws:kms:us-east-1:111122223333:key/', '1234abcd-12ab-34cd-56ef-1234567890ab']],
    ['an alias name after its slashes', 'alias/payments/eu/settlement-signing', 20, 1, ['alias/payments/eu/', 'settlement-signing']],
    ['level 0: nothing breaks', 'alias/payments/eu/settlement-signing', 20, 0, ['alias/payments/eu/settlement-signing']],
    ['an enum value never breaks', 'SYMMETRIC_DEFAULT', 8, 2, ['SYMMETRIC_DEFAULT']],
    ['one that fits', 'alias/app', 20, 1, ['alias/app']],
  ] as const)('breakIdentifier: %s', (_, text, width, level, expected) => {
    expect(breakIdentifier(text, width, level)).toEqual(expected)
    expect(breakIdentifier(text, width, level).join('')).toBe(text)
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

describe('renderTable on a narrow terminal (issue 19.13)', () => {
  const plain = new Chalk({ level: 0 })

  // Before: the header wrapped as text, `descript` over `ion`, and the enum value lost its middle.
  it('never splits a header word or an enum value: borders go, text wraps at spaces', () => {
    const spec = { head: ['spec', 'description'], rows: [['SYMMETRIC_DEFAULT', 'payments signing key']], fit: ['keep', 'wrap'] as const }
    expect(renderTable(plain, spec, 34).split('\n')).toEqual(['spec               description', 'SYMMETRIC_DEFAULT  payments', '                   signing key'])
  })

  it('leaves out an optional column before it breaks an identifier', () => {
    const spec = { head: ['alias', 'key', 'note'], rows: [['alias/a/b', '1234abcd-12ab', 'x']], fit: ['id', 'id', 'keep'] as const, optional: [2] }
    expect(renderTable(plain, spec, 30).split('\n')).toEqual(['alias      key            note', 'alias/a/b  1234abcd-12ab  x'])
    expect(renderTable(plain, spec, 24).split('\n')).toEqual(['alias      key', 'alias/a/b  1234abcd-12ab'])
  })

  it('past every shape, the narrowest borderless layout, identifiers broken at their separators', () => {
    const spec = { head: ['alias', 'key'], rows: [['alias/a/b', '1234abcd-12ab']], fit: ['id', 'id'] as const }
    expect(renderTable(plain, spec, 10).split('\n')).toEqual(['alias   key', 'alias/  1234abcd-', 'a/b     12ab'])
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
