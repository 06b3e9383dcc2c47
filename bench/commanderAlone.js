// The floor of `kms-alias --help` with commander: one bundled file that defines the same command
// table (read from the real program: commands, arguments, options, help texts) with commander and
// nothing of ours, and prints --help. The bench checks that it prints the same text.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { bundleOptions, lazyChildProcess } from '../scripts/build.js'

const helpEvents = ['beforeAll', 'before', 'after', 'afterAll']

/** The command tree as plain data: what commander needs to print the same help. */
function describe(command) {
  const helpTexts = helpEvents.flatMap((position) =>
    command.listeners(`${position}Help`).map((listener) => {
      let text = ''
      listener({ error: false, command, write: (s) => (text += s) })
      return [position, text.replace(/\n$/, '')]
    }),
  )
  return {
    name: command.name(),
    description: command.description(),
    arguments: command.registeredArguments.map((a) => {
      const name = `${a.name()}${a.variadic ? '...' : ''}`
      return { name: a.required ? `<${name}>` : `[${name}]`, description: a.description, defaultValue: a.defaultValue, choices: a.argChoices }
    }),
    options: command.options.map((o) => ({
      flags: o.flags,
      description: o.description,
      mandatory: o.mandatory,
      hidden: o.hidden,
      defaultValue: o.defaultValue,
      defaultValueDescription: o.defaultValueDescription,
      choices: o.argChoices,
      env: o.envVar,
    })),
    helpTexts,
    commands: command.commands.map(describe),
  }
}

// The floor's own code: rebuild the tree from the data, then print --help as commander does.
const floorSource = (table, helpConfig) => `
import { Argument, Command, Option } from 'commander'
const table = ${JSON.stringify(table)}
function define(command, d) {
  command.description(d.description)
  for (const a of d.arguments) {
    const argument = new Argument(a.name, a.description)
    if (a.defaultValue !== undefined) argument.default(a.defaultValue)
    if (a.choices) argument.choices(a.choices)
    command.addArgument(argument)
  }
  for (const o of d.options) {
    const option = new Option(o.flags, o.description)
    if (o.defaultValue !== undefined) option.default(o.defaultValue, o.defaultValueDescription)
    if (o.choices) option.choices(o.choices)
    if (o.env) option.env(o.env)
    if (o.hidden) option.hideHelp()
    option.makeOptionMandatory(o.mandatory)
    command.addOption(option)
  }
  for (const [position, text] of d.helpTexts) command.addHelpText(position, text)
  for (const c of d.commands) define(command.command(c.name), c)
  return command
}
define(new Command(table.name), table).configureHelp(${JSON.stringify(helpConfig)}).parse(['--help'], { from: 'user' })
`

/** Writes the floor to `outfile`, bundled and minified as the package is. */
export async function buildCommanderAlone(program, outfile) {
  const helpConfig = Object.fromEntries(Object.entries(program.configureHelp()).filter(([, v]) => typeof v !== 'function'))
  await build({
    stdin: { contents: floorSource(describe(program), helpConfig), resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    ...bundleOptions,
    outfile,
    plugins: [lazyChildProcess],
  })
}
