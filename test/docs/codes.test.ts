// Every code the tool can print is documented: each finding code (the FindingCode type, read with
// the TypeScript checker, and any other `code: 'X'` literal in src/) has a row in a findings table
// of docs/safety.md, and each exit code a row with its JSON `error.code` in the README. The lists
// come from the source, so a code added later fails here until it is documented. (It failed on its
// first run: TARGET_REPOINTED_IN_FILE, REPLICA_REGIONS_DIFFER and REGION_NOT_COVERED had no row; the
// old README's exit codes had no error.code, and its JSON fields missed INTERNAL, HANGUP, TERMINATED.)
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { Exit, exitCodeNames } from '../../src/errors.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** The string literals of the FindingCode type, as the type checker resolves it. */
function findingCodeType(): string[] {
  const file = join(root, 'src/preflight/rules.ts')
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const symbol = source && checker.getSymbolAtLocation(source)
  const alias = symbol && checker.getExportsOfModule(symbol).find((s) => s.name === 'FindingCode')
  if (!alias) throw new Error('src/preflight/rules.ts exports no FindingCode type')
  const type = checker.getDeclaredTypeOfSymbol(alias)
  return (type.isUnion() ? type.types : [type]).filter((t) => t.isStringLiteral()).map((t) => (t as ts.StringLiteralType).value)
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** `code: 'SOME_CODE'` literals anywhere in src/ that are not exit-code names: findings built outside the type. */
function codeLiterals(): string[] {
  const errorNames = new Set(Object.values(exitCodeNames))
  const found = sourceFiles('src').flatMap((path) => [...read(path).matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] as string))
  return [...new Set(found)].filter((code) => !errorNames.has(code))
}

/** The codes in the first cell of every row of the tables whose first header is `code` or `finding`. */
function documentedFindings(markdown: string): string[] {
  const codes: string[] = []
  let inTable = false
  for (const line of markdown.split('\n')) {
    if (/^\| (code|finding) \|/.test(line)) inTable = true
    else if (!line.startsWith('|')) inTable = false
    else if (inTable && !line.startsWith('|---')) codes.push(...[...(line.split(' | ')[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string))
  }
  return codes
}

const producible = [...new Set([...findingCodeType(), ...codeLiterals()])].sort()
const safety = read('docs/safety.md')

describe('finding codes', () => {
  it('are read from the source (the type and the literals)', () => {
    expect(producible).toContain('KEY_SPEC_MISMATCH')
    expect(producible).toContain('TARGET_REPOINTED_IN_FILE')
    expect(producible).not.toContain('CONFLICT')
  })

  it.each(producible)('%s has a row in a findings table of docs/safety.md', (code) => {
    expect(documentedFindings(safety)).toContain(code)
  })

  it('docs/safety.md documents no code that the source cannot produce', () => {
    expect(documentedFindings(safety).filter((code) => !producible.includes(code))).toEqual([])
  })
})

describe('exit codes and their JSON error.code', () => {
  const rows = read('README.md')
    .split('\n')
    .map((line) => /^\| (\d+) \| `([A-Z_]+)`/.exec(line))
    .filter((m) => m !== null)
    .map((m) => [Number(m[1]), m[2]] as const)

  it.each(Object.values(Exit))('exit code %i has a row in the README with its error.code', (code) => {
    expect(rows).toContainEqual([code, exitCodeNames[code]])
  })

  it('the README lists no exit code the source does not have', () => {
    expect(rows.filter(([code]) => !(Object.values(Exit) as number[]).includes(code))).toEqual([])
  })
})
