import { describe, expect, it } from 'vitest'
import { parseApplyFile, partitionEntries } from '../../src/engine/applyFile.js'
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
    [`alias/a ${K1} extra\n`, 'f:1: "extra" is not a Region name'],
    [`alias/a ${K1} us-east-1 more\n`, `f:1: expected "alias/<name> <key> [<region>]", got "alias/a ${K1} us-east-1 more"`],
    ['alias/a\n', 'f:1: expected "alias/<name> <key> [<region>]", got "alias/a"'],
    [`a ${K1}\n`, 'f:1: alias "a" is not an alias name'],
    ['alias/a not-a-key\n', 'f:1: key "not-a-key" is not a key identifier'],
    [`{"alias/a": 5}`, 'f:1: the key for alias/a must be a string'],
    [`["alias/a"]`, 'f:1: each entry of a JSON array must be an object {"alias": …, "to": …, "region"?: …, "account"?: …}'],
    // Binary input is never echoed raw to the terminal: a NUL byte refuses the whole file, other
    // control characters are escaped (tried without: the raw bytes reached stderr).
    ['PK\u0003\u0004\u0000\u0000 alias/a\n', 'f: not a text file (it contains NUL bytes)'],
    ['\u001b]0;owned\u0007 x y z w\n', 'f:1: expected "alias/<name> <key> [<region>]", got "\\u001b]0;owned\\u0007 x y z w"'],
  ])('rejects %j', (text, message) => {
    expect(failure(text)).toBe(message)
  })

  it('names the line of a JSON syntax error', () => {
    expect(failure(`[\n  {"alias": "alias/a", "to": "${K1}"}\n  {"alias": "alias/b"}\n]`)).toMatch(/^f:3: not valid JSON \(/)
    expect(failure(`{\n  "alias/a": "${K1}",\n  "alias/b" "${K2}"\n}`)).toMatch(/^f:3: not valid JSON \(/)
  })
})

const place = (text: string) => parseApplyFile(text, 'f').map((e) => [e.alias.name, e.target.input, e.line, e.region ?? null, e.account ?? null])

describe('parseApplyFile: Regions and accounts', () => {
  it('reads a Region as the third column of a plain line', () => {
    expect(place(`alias/a ${K1} eu-west-1\nalias/a ${K2}   us-east-1  # same name, another Region\nalias/b alias/c\n`)).toEqual([
      ['alias/a', K1, 1, 'eu-west-1', null],
      ['alias/a', K2, 2, 'us-east-1', null],
      ['alias/b', 'alias/c', 3, null, null],
    ])
  })

  it('reads a JSON array of objects, each at the line it starts on', () => {
    const text = `[\n  {"alias": "alias/a", "to": "${K1}"},\n  {\n    "alias": "alias/a",\n    "to": "alias/next", "region": "eu-west-1", "account": "222233334444"\n  },\n  {"alias": "alias/a", "to": "${K2}", "account": "222233334444"}\n]`
    expect(place(text)).toEqual([
      ['alias/a', K1, 2, null, null],
      ['alias/a', 'alias/next', 3, 'eu-west-1', '222233334444'],
      ['alias/a', K2, 7, null, '222233334444'],
    ])
    expect(place('[]')).toEqual([])
  })

  it.each([
    [`alias/a ${K1} eu-west-1\nalias/a ${K2} eu-west-1\n`, 'f:2: alias/a in eu-west-1 appears twice (first at line 1)'],
    [`[{"alias": "alias/a", "to": "${K1}", "account": "222233334444"},\n {"alias": "alias/a", "to": "${K2}", "account": "222233334444"}]`, 'f:2: alias/a in 222233334444 appears twice (first at line 1)'],
    [`[{"alias": "alias/a", "to": "${K1}", "regoin": "eu-west-1"}]`, 'f:1: unknown field "regoin" (an entry has alias, to, region and account)'],
    [`[{"alias": "alias/a"}]`, 'f:1: "to" must be a string'],
    [`[{"alias": "alias/a", "to": "${K1}", "region": 7}]`, 'f:1: "region" must be a string when given'],
    [`[{"alias": "alias/a", "to": "${K1}", "region": "Ireland"}]`, 'f:1: "Ireland" is not a Region name'],
    [`[{"alias": "alias/a", "to": "${K1}", "account": "2222"}]`, 'f:1: account "2222" is not a 12-digit account ID'],
    [`[\n  {"alias": "alias/a", "to": "${K1}"},\n  5\n]`, 'f:3: each entry of a JSON array must be an object {"alias": …, "to": …, "region"?: …, "account"?: …}'],
    [`[{"alias": "a", "to": "${K1}"}]`, 'f:1: alias "a" is not an alias name'],
    [`alias/a arn:aws:kms:us-east-1:111122223333:key/${K1} eu-west-1\n`, "f:1: the key ARN is in us-east-1, but the entry's Region is eu-west-1"],
    [`arn:aws:kms:us-east-1:111122223333:alias/a ${K1} eu-west-1\n`, "f:1: the alias ARN is in us-east-1, but the entry's Region is eu-west-1"],
    [`[{"alias": "alias/a", "to": "arn:aws:kms:us-east-1:111122223333:key/${K1}", "account": "222233334444"}]`, "f:1: the key ARN is in account 111122223333, but the entry's account is 222233334444"],
  ])('rejects %j', (text, message) => {
    expect(failure(text)).toBe(message)
  })
})

describe('partitionEntries: entries grouped by (account, Region), table-driven', () => {
  const entries = (text: string) => parseApplyFile(text, 'f')
  const roleName = { name: 'kms-alias-operator', sessionName: 'kms-alias' }
  // Each partition as "account region role: aliases", or the usage error's message.
  const groups = (text: string, home: { region: string; account?: string }, role?: typeof roleName) => {
    try {
      return partitionEntries(entries(text), home, role).map((p) => `${p.account ?? '-'} ${p.region} ${p.role?.arn ?? '-'}: ${p.entries.map((e) => e.alias.name).join(' ')}`)
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError)
      return (error as UsageError).message
    }
  }
  const east = { region: 'us-east-1' }
  const mine = { region: 'us-east-1', account: '111122223333' }

  it.each([
    ['no Region or account column: one partition', `alias/a ${K1}\nalias/b ${K2}\n`, east, undefined, ['- us-east-1 -: alias/a alias/b']],
    ["the client's own Region named or not: one partition", `alias/a ${K1} us-east-1\nalias/b ${K2}\n`, east, undefined, ['- us-east-1 -: alias/a alias/b']],
    ['Regions in the order the file first names them', `alias/a ${K1} eu-west-1\nalias/a ${K2}\nalias/b ${K1} eu-west-1\n`, east, undefined, ['- eu-west-1 -: alias/a alias/b', '- us-east-1 -: alias/a']],
    ["the credentials' own account, no role", `[{"alias": "alias/a", "to": "${K1}", "account": "111122223333"}, {"alias": "alias/b", "to": "${K1}"}]`, mine, roleName, ['111122223333 us-east-1 -: alias/a alias/b']],
    [
      'another account with --role-name: its role, per Region',
      `[{"alias": "alias/a", "to": "${K1}", "account": "222233334444"}, {"alias": "alias/a", "to": "${K1}", "account": "222233334444", "region": "eu-west-1"}, {"alias": "alias/a", "to": "${K2}"}]`,
      mine,
      roleName,
      ['222233334444 us-east-1 arn:aws:iam::222233334444:role/kms-alias-operator: alias/a', '222233334444 eu-west-1 arn:aws:iam::222233334444:role/kms-alias-operator: alias/a', '111122223333 us-east-1 -: alias/a'],
    ],
    ['a GovCloud Region takes its partition in the role ARN', `[{"alias": "alias/a", "to": "${K1}", "account": "222233334444", "region": "us-gov-west-1"}]`, mine, roleName, ['222233334444 us-gov-west-1 arn:aws-us-gov:iam::222233334444:role/kms-alias-operator: alias/a']],
    ['another account without --role-name', `[{"alias": "alias/a", "to": "${K1}", "account": "222233334444"}]`, mine, undefined, 'f:1: alias/a is for account 222233334444, but these credentials act on account 111122223333; nothing was changed'],
    ['one alias with and without the Region', `alias/a ${K1}\nalias/a ${K2} us-east-1\n`, east, undefined, 'f:2: alias/a appears twice for us-east-1 (first at line 1)'],
  ])('%s', (_, text, home, role, expected) => {
    expect(groups(text, home, role)).toEqual(expected)
  })
})
