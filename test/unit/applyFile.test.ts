import { describe, expect, it } from 'vitest'
import { parseApplyFile } from '../../src/applyFile.js'
import { UsageError } from '../../src/errors.js'

const K1 = '1234abcd-12ab-34cd-56ef-1234567890ab'
const K2 = '0987dcba-09fe-87dc-65ba-ab0987654321'
const simple = (text: string) => parseApplyFile(text, 'f').map((e) => [e.alias.name, e.target.input, e.line])

function failure(text: string): string {
  try {
    parseApplyFile(text, 'f')
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as UsageError).message
  }
  throw new Error('expected a usage error')
}

describe('parseApplyFile', () => {
  it('reads plain lines with comments and blank lines', () => {
    expect(simple(`# rotation 2027\n\nalias/a ${K1}\n  alias/b\talias/c   # via an alias\n`)).toEqual([
      ['alias/a', K1, 3],
      ['alias/b', 'alias/c', 4],
    ])
  })

  it('reads a JSON object, with the line of each key', () => {
    expect(simple(`{\n  "alias/a": "${K1}",\n  "alias/b": "arn:aws:kms:us-east-1:111122223333:key/${K2}"\n}`)).toEqual([
      ['alias/a', K1, 2],
      ['alias/b', `arn:aws:kms:us-east-1:111122223333:key/${K2}`, 3],
    ])
  })

  it('an empty file is an empty plan', () => {
    expect(simple('# nothing yet\n')).toEqual([])
    expect(simple('{}')).toEqual([])
  })

  it.each([
    [`alias/a ${K1}\nalias/a ${K2}\n`, 'f:2: alias/a appears twice (first at line 1)'],
    [`{\n "alias/a": "${K1}",\n "alias/a": "${K2}"\n}`, 'f:3: alias/a appears twice (first at line 2)'],
    [`alias/a ${K1} extra\n`, `f:1: expected "alias/<name> <key>", got "alias/a ${K1} extra"`],
    ['alias/a\n', 'f:1: expected "alias/<name> <key>", got "alias/a"'],
    [`a ${K1}\n`, 'f:1: alias "a" is not an alias name'],
    ['alias/a not-a-key\n', 'f:1: key "not-a-key" is not a key identifier'],
    [`{"alias/a": 5}`, 'f:1: the key for alias/a must be a string'],
    [`["alias/a"]`, 'f: the JSON must be an object of "alias/<name>": "<key>"'],
    // Binary input is never echoed raw to the terminal: a NUL byte refuses the whole file, other
    // control characters are escaped (tried without: the raw bytes reached stderr).
    ['PK\u0003\u0004\u0000\u0000 alias/a\n', 'f: not a text file (it contains NUL bytes)'],
    ['\u001b]0;owned\u0007 x y\n', 'f:1: expected "alias/<name> <key>", got "\\u001b]0;owned\\u0007 x y"'],
  ])('rejects %j', (text, message) => {
    expect(failure(text)).toBe(message)
  })

  it('names the line of a JSON syntax error', () => {
    expect(failure(`{\n  "alias/a": "${K1}",\n  "alias/b" "${K2}"\n}`)).toMatch(/^f:3: not valid JSON \(/)
  })
})
