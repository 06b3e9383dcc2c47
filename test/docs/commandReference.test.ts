// docs/commands.md against the program: its generated option tables must be what `npm run docs`
// writes now, and every option and argument must read as `--help` prints it. A flag added to
// src/cli/program.ts without `npm run docs` fails here (tried once: a `list --newflag` added to the
// program failed the first two tests of the first block until the docs were regenerated).
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { createProgram } from '../../src/cli/program.js'
import { blockNames, blockText, GLOBAL_BLOCK, optionBlocks, rewriteBlocks, uncell } from '../../scripts/commandReference.js'
import { testContext } from '../helpers/testContext.js'

const COMMANDS_MD = new URL('../../docs/commands.md', import.meta.url)
const doc = readFileSync(COMMANDS_MD, 'utf8')
const program = () => createProgram(testContext(), () => undefined)

/** `--help` of `argv`, as a user sees it. */
async function helpText(argv: string[]): Promise<string> {
  const ctx = testContext()
  expect(await main([...argv, '--help'], ctx)).toBe(0)
  return ctx.stdout()
}

/** The entries of one section of commander's help ("Options:", "Arguments:"…): term → description. */
function helpSection(help: string, title: string): Map<string, string> {
  const entries = new Map<string, string>()
  const lines = help.split('\n')
  let at = lines.indexOf(`${title}:`)
  if (at < 0) return entries
  let term = ''
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break
    const entry = /^ {2}(\S(?:.*?\S)?)(?: {2,}(.*))?$/.exec(line)
    if (entry && !line.startsWith('   ')) {
      term = entry[1] as string
      entries.set(term, entry[2] ?? '')
    } else {
      // A wrapped description: commander breaks lines at spaces.
      entries.set(term, `${entries.get(term) ?? ''} ${line.trim()}`.trim())
    }
    at++
  }
  return entries
}

/** The rows of the tables of one generated block, with the header named `head`: term → description. */
function blockTable(block: string, head: string): Map<string, string> {
  const rows = new Map<string, string>()
  let inTable = false
  for (const line of block.split('\n')) {
    if (line.startsWith(`| ${head} |`)) inTable = true
    else if (!line.startsWith('|')) inTable = false
    else if (inTable && !line.startsWith('|---')) {
      const row = /^\| `(.*)` \| (.*) \|$/.exec(line)
      if (row) rows.set(row[1] as string, uncell(row[2] as string))
    }
  }
  return rows
}

describe('docs/commands.md, generated from the commander table', () => {
  it('is what `npm run docs` writes now (when this fails, run npm run docs and commit docs/commands.md)', () => {
    expect(rewriteBlocks(doc, optionBlocks(program()))).toBe(doc)
  })

  it('has one block for the global options and one for every command --help lists', () => {
    const listed = [...helpSection(program().helpInformation(), 'Commands').keys()].map((term) => term.split(' ')[0] as string)
    expect(listed).toContain('update')
    expect([...blockNames(doc)].sort()).toEqual([GLOBAL_BLOCK, ...listed.filter((name) => name !== 'help')].sort())
  })

  it('lists the global options exactly as kms-alias --help prints them', async () => {
    const help = await helpText([])
    const documented = blockTable(blockText(doc, GLOBAL_BLOCK) ?? '', 'option')
    expect(documented).toEqual(helpSection(help, 'Options'))
  })

  const commands = program().commands.map((c) => c.name())
  it.each(commands)('lists the arguments and options of %s exactly as its --help prints them', async (name) => {
    const help = await helpText(name === 'help' ? ['help'] : [name])
    const block = blockText(doc, name)
    expect(block, `docs/commands.md has no generated block for ${name}: run npm run docs`).toBeDefined()
    expect(blockTable(block ?? '', 'option')).toEqual(helpSection(help, 'Options'))
    expect(blockTable(block ?? '', 'argument')).toEqual(helpSection(help, 'Arguments'))
    expect(block).toContain(`\`\`\`\n${/^Usage: (.*)$/m.exec(help)?.[1]}\n\`\`\``)
  })
})

describe('rewriteBlocks (the mechanism npm run docs and the test above rely on)', () => {
  const small = () => {
    const p = new Command('tool').helpCommand(false)
    p.command('go').description('go somewhere').option('--far', 'how far | really <n>')
    return p
  }
  const empty = (name: string) => `<!-- BEGIN generated options ${name} (npm run docs rewrites this block; do not edit it) -->\n<!-- END generated options ${name} -->`

  it('fills a block between its markers and leaves the prose around it alone', () => {
    const text = `# Tool\n\nbefore\n\n${empty('global')}\n\nbetween\n\n${empty('go')}\n\nafter\n`
    expect(rewriteBlocks(text, optionBlocks(small()))).toBe(
      [
        '# Tool\n\nbefore\n',
        empty('global').replace('-->\n', '-->\n| option | meaning |\n|---|---|\n| `-h, --help` | display help for command |\n'),
        '\nbetween\n',
        empty('go').replace(
          '-->\n',
          '-->\n```\ntool go [options]\n```\n\n| option | meaning |\n|---|---|\n| `--far` | how far \\| really &lt;n&gt; |\n| `-h, --help` | display help for command |\n',
        ),
        '\nafter\n',
      ].join('\n'),
    )
  })

  it('sees a flag added after the docs were written (the drift the test above catches)', () => {
    const before = rewriteBlocks(`${empty('global')}\n\n${empty('go')}\n`, optionBlocks(small()))
    const grown = small()
    grown.commands[0]?.option('--faster', 'a flag added later')
    expect(rewriteBlocks(before, optionBlocks(grown))).not.toBe(before)
    expect(rewriteBlocks(before, optionBlocks(grown))).toContain('| `--faster` | a flag added later |')
  })

  it('appends a command that has no block yet under a heading of its own', () => {
    expect(rewriteBlocks(`${empty('global')}\n`, optionBlocks(small()))).toContain(`\n\n## kms-alias go\n\n<!-- BEGIN generated options go`)
  })

  it('refuses a block of a command that no longer exists: its prose needs a person', () => {
    expect(() => rewriteBlocks(`${empty('global')}\n${empty('gone')}\n`, optionBlocks(small()))).toThrow('option blocks of commands that do not exist: gone')
  })
})
