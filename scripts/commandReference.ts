// The option tables of docs/commands.md, generated from the commander table (src/cli/program.ts)
// through commander's own Help, so they say what --help says. `npm run docs` (scripts/docs.js)
// rewrites the marked blocks; test/docs/commandReference.test.ts fails while they are stale.
import type { Command, Help } from 'commander'

/** The block of the global options; every other block is named after its command. */
export const GLOBAL_BLOCK = 'global'

const BEGIN = /<!-- BEGIN generated options ([a-z-]+)[^>]*-->\n/g
const begin = (name: string) => `<!-- BEGIN generated options ${name} (npm run docs rewrites this block; do not edit it) -->\n`
const end = (name: string) => `<!-- END generated options ${name} -->`

// Help text is plain text: in a Markdown table cell, | ends the cell, <name> would be taken for
// HTML and dropped, and * or ` would start emphasis or code.
const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([*`])/g, '\\$1')

/** The inverse of `cell`, for tests that compare a table with --help. */
export const uncell = (text: string) =>
  text.replace(/\\([*`|])/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/\\\\/g, '\\')

function table(head: [string, string], rows: Array<[string, string]>): string[] {
  return [`| ${head[0]} | ${head[1]} |`, '|---|---|', ...rows.map(([term, description]) => `| \`${term}\` | ${cell(description)} |`)]
}

function commandBlock(help: Help, command: Command): string {
  const lines = ['```', help.commandUsage(command), '```', '']
  const args = help.visibleArguments(command)
  if (args.length > 0) {
    lines.push(...table(['argument', 'meaning'], args.map((a) => [help.argumentTerm(a), help.argumentDescription(a)])), '')
  }
  const options = help.visibleOptions(command)
  if (options.length > 0) lines.push(...table(['option', 'meaning'], options.map((o) => [help.optionTerm(o), help.optionDescription(o)])))
  return lines.join('\n').trimEnd()
}

/** Every generated block by name: the global options, then each command as --help lists them. */
export function optionBlocks(program: Command): Map<string, string> {
  const help = program.createHelp()
  const blocks = new Map<string, string>()
  blocks.set(GLOBAL_BLOCK, table(['option', 'meaning'], help.visibleOptions(program).map((o) => [help.optionTerm(o), help.optionDescription(o)])).join('\n'))
  // commander's implicit `help [command]` has no options and prints the program's help.
  for (const command of help.visibleCommands(program)) if (command.name() !== 'help') blocks.set(command.name(), commandBlock(help, command))
  return blocks
}

/** The names of the generated blocks `doc` holds, in order. */
export const blockNames = (doc: string): string[] => [...doc.matchAll(BEGIN)].map((m) => m[1] as string)

/** The text of block `name` in `doc`, or undefined when `doc` has no such block. */
export function blockText(doc: string, name: string): string | undefined {
  const from = doc.indexOf(begin(name))
  const to = doc.indexOf(end(name))
  if (from < 0 || to < from) return undefined
  return doc.slice(from + begin(name).length, to).replace(/\n$/, '')
}

/**
 * `doc` with every generated block rewritten from `blocks`. A command with no block yet gets one
 * appended under a heading of its own (so a new command is documented at least by its options),
 * and a block of a command that no longer exists is an error: its prose needs a person.
 */
export function rewriteBlocks(doc: string, blocks: ReadonlyMap<string, string>): string {
  const unknown = blockNames(doc).filter((name) => !blocks.has(name))
  if (unknown.length > 0) throw new Error(`docs/commands.md has option blocks of commands that do not exist: ${unknown.join(', ')}; remove them by hand`)
  let out = doc
  for (const [name, text] of blocks) {
    const from = out.indexOf(begin(name))
    const to = out.indexOf(end(name))
    const block = `${begin(name)}${text}\n${end(name)}`
    if (from < 0 || to < from) out = `${out.replace(/\n*$/, '')}\n\n## kms-alias ${name}\n\n${block}\n`
    else out = out.slice(0, from) + block + out.slice(to + end(name).length)
  }
  return out
}
