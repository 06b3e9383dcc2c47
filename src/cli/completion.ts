// The completion scripts of kms-alias completion bash|zsh|fish, generated from the commander table of
// src/program.ts, read through commander's own Help (what --help shows), so a new command, option
// or choice is completed without a change here. It never calls KMS: alias names are not completed.
import type { Command, Help, Option } from 'commander'

export type Shell = 'bash' | 'zsh' | 'fish'

/** How an option's value or a positional argument is completed. */
export type ValueKind = { kind: 'none' } | { kind: 'choices'; choices: string[] } | { kind: 'file' } | { kind: 'free' }

export interface OptionSpec {
  short?: string
  long: string
  description: string
  value: ValueKind
}

export interface CommandSpec {
  name: string
  description: string
  options: OptionSpec[]
  /** Positional arguments in order. */
  args: ValueKind[]
}

export interface CompletionModel {
  name: string
  globalOptions: OptionSpec[]
  commands: CommandSpec[]
}

// Values named like a path are completed as file names; other free values get nothing.
const FILE_VALUE = /^[<[](path|file)[>\]]$/

function optionSpec(option: Option): OptionSpec {
  const valueName = option.flags.split(/[ ,|]+/).find((part) => /^[<[]/.test(part)) ?? ''
  let value: ValueKind = { kind: 'none' }
  if (option.argChoices) value = { kind: 'choices', choices: [...option.argChoices] }
  else if (FILE_VALUE.test(valueName)) value = { kind: 'file' }
  else if (option.required || option.optional) value = { kind: 'free' }
  return { ...(option.short ? { short: option.short } : {}), long: option.long ?? '', description: option.description, value }
}

function argumentKinds(command: Command): ValueKind[] {
  return command.registeredArguments.map((a): ValueKind => {
    if (a.argChoices) return { kind: 'choices', choices: [...a.argChoices] }
    return a.name() === 'file' ? { kind: 'file' } : { kind: 'free' }
  })
}

/** What the completion scripts offer, read from the program as its help would show it. */
export function completionModel(program: Command): CompletionModel {
  const help: Help = program.createHelp()
  const globalOptions = help.visibleOptions(program).map(optionSpec)
  const global = new Set(globalOptions.map((o) => o.long))
  const visible = help.visibleCommands(program)
  const names = visible.map((c) => c.name())
  const commands = visible.map((command) => ({
    name: command.name(),
    description: command.description(),
    // A command's own options only: the global ones (--help included) are offered everywhere.
    options: help.visibleOptions(command).map(optionSpec).filter((o) => !global.has(o.long)),
    // `help [command]` (commander's implicit help command) takes a command name.
    args: argumentKinds(command).map((kind, n) => (command.registeredArguments[n]?.name() === 'command' ? { kind: 'choices', choices: names } as const : kind)),
  }))
  return { name: program.name(), globalOptions, commands }
}

const flagsOf = (o: OptionSpec) => (o.short ? [o.short, o.long] : [o.long])
const single = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`
const fnName = (name: string) => `_${name.replace(/[^A-Za-z0-9]/g, '_')}`

/** Every option that takes a value, across the program, once per flag (same flag, same values). */
function valueOptions(model: CompletionModel): OptionSpec[] {
  const seen = new Map<string, OptionSpec>()
  for (const o of [...model.globalOptions, ...model.commands.flatMap((c) => c.options)]) {
    if (o.value.kind !== 'none' && !seen.has(o.long)) seen.set(o.long, o)
  }
  return [...seen.values()]
}

function bashValue(kind: ValueKind): string {
  if (kind.kind === 'choices') return `COMPREPLY=($(compgen -W ${single(kind.choices.join(' '))} -- "$cur"))`
  if (kind.kind === 'file') return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
  // A key, a Region, a number: nothing to offer, and never a KMS call to find one.
  return 'COMPREPLY=()'
}

/** `case` arms, one per distinct completion, listing every pattern that completes that way. */
function bashArms(rows: Array<[pattern: string, action: string]>, indent: string, suffix: string): string[] {
  const byAction = new Map<string, string[]>()
  for (const [pattern, action] of rows) byAction.set(action, [...(byAction.get(action) ?? []), pattern])
  return [...byAction].map(([action, patterns]) => `${indent}${patterns.join('|')}) ${action}${suffix}`)
}

/** `<command>:<argument index>` and how to complete it, for the arguments that have a completion. */
const positionalRows = (model: CompletionModel) =>
  model.commands.flatMap((c) => c.args.flatMap((kind, n): Array<[string, string]> => (kind.kind === 'free' ? [] : [[`${c.name}:${n}`, bashValue(kind)]])))

export function bashScript(model: CompletionModel): string {
  const fn = fnName(model.name)
  const globals = model.globalOptions.flatMap(flagsOf)
  const valued = valueOptions(model)
  const lines = [
    `# bash completion for ${model.name}. Install: echo 'source <(${model.name} completion bash)' >> ~/.bashrc`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" nargs=0 i',
    '  # The command is the first word that is neither an option nor the value of one.',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in',
    `      ${valued.flatMap(flagsOf).join('|')}) ((i++)) ;;`,
    '      -*) ;;',
    '      *) if [[ -z $cmd ]]; then cmd="${COMP_WORDS[i]}"; else ((nargs++)); fi ;;',
    '    esac',
    '  done',
    '  case "$prev" in',
    ...bashArms(valued.map((o) => [flagsOf(o).join('|'), bashValue(o.value)]), '    ', '; return ;;'),
    '  esac',
    '  local opts',
    '  case "$cmd" in',
    `    '') opts=${single(globals.join(' '))} ;;`,
    ...bashArms(model.commands.map((c) => [c.name, `opts=${single([...c.options.flatMap(flagsOf), ...globals].join(' '))}`]), '    ', ' ;;'),
    '    *) return ;;',
    '  esac',
    '  if [[ $cur == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    '  elif [[ -z $cmd ]]; then',
    `    COMPREPLY=($(compgen -W ${single(model.commands.map((c) => c.name).join(' '))} -- "$cur"))`,
    '  else',
    '    case "$cmd:$nargs" in',
    ...bashArms(positionalRows(model), '      ', ' ;;'),
    '    esac',
    '  fi',
    '}',
    `complete -F ${fn} ${model.name}`,
  ]
  return `${lines.join('\n')}\n`
}

// zsh's _arguments specs: [description] may not hold an unescaped ] or :, and the whole spec is
// single-quoted.
const zshText = (text: string) => text.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1')

function zshAction(kind: ValueKind, name: string): string {
  if (kind.kind === 'choices') return `:${name}:(${kind.choices.join(' ')})`
  if (kind.kind === 'file') return `:${name}:_files`
  if (kind.kind === 'free') return `:${name}: `
  return ''
}

function zshOption(o: OptionSpec): string {
  const name = o.long.replace(/^--/, '')
  const spec = (flag: string) => `${flag}[${zshText(o.description)}]${zshAction(o.value, name)}`
  if (!o.short) return single(spec(o.long))
  return `${single(`(${o.short} ${o.long})`)}{${o.short},${o.long}}${single(`[${zshText(o.description)}]${zshAction(o.value, name)}`)}`
}

export function zshScript(model: CompletionModel): string {
  const fn = fnName(model.name)
  const globals = model.globalOptions.map(zshOption)
  const lines = [
    `#compdef ${model.name}`,
    `# zsh completion for ${model.name}. Install: echo 'source <(${model.name} completion zsh)' >> ~/.zshrc (after compinit)`,
    `${fn}() {`,
    '  local curcontext="$curcontext" state line',
    `  local -a global_opts=(\n    ${globals.join('\n    ')}\n  )`,
    "  _arguments -C $global_opts '1: :->command' '*:: :->args'",
    '  case $state in',
    '    command)',
    `      local -a commands=(\n        ${model.commands.map((c) => single(`${c.name}:${c.description.replace(/:/g, '\\:')}`)).join('\n        ')}\n      )`,
    "      _describe -t commands 'kms-alias command' commands ;;",
    '    args)',
    '      case $line[1] in',
    ...model.commands.map((c) => {
      const specs = [
        ...c.options.map(zshOption),
        '$global_opts',
        ...c.args.map((kind, n) => single(`${n + 1}${zshAction(kind.kind === 'none' ? { kind: 'free' } : kind, `arg${n + 1}`)}`)),
      ]
      return `        ${c.name}) _arguments ${specs.join(' ')} ;;`
    }),
    '      esac ;;',
    '  esac',
    '}',
    `compdef ${fn} ${model.name}`,
  ]
  return `${lines.join('\n')}\n`
}

function fishOption(name: string, o: OptionSpec, condition: string): string {
  const parts = [`complete -c ${name}`]
  if (condition) parts.push(`-n ${single(condition)}`)
  if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`)
  parts.push(`-l ${o.long.replace(/^--/, '')}`)
  if (o.value.kind === 'choices') parts.push(`-x -a ${single(o.value.choices.join(' '))}`)
  else if (o.value.kind === 'file') parts.push('-r -F')
  else if (o.value.kind === 'free') parts.push('-x')
  parts.push(`-d ${single(o.description)}`)
  return parts.join(' ')
}

export function fishScript(model: CompletionModel): string {
  const name = model.name
  const noCommandYet = single(`not __fish_seen_subcommand_from ${model.commands.map((c) => c.name).join(' ')}`)
  const lines = [
    `# fish completion for ${name}. Install: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
    ...model.commands.map((c) => `complete -c ${name} -n ${noCommandYet} -a ${c.name} -d ${single(c.description)}`),
    ...model.globalOptions.map((o) => fishOption(name, o, '')),
    ...model.commands.flatMap((c) => {
      const when = `__fish_seen_subcommand_from ${c.name}`
      const own = c.options.map((o) => fishOption(name, o, when))
      const args = c.args.flatMap((kind) => {
        if (kind.kind === 'choices') return [`complete -c ${name} -n ${single(when)} -a ${single(kind.choices.join(' '))}`]
        if (kind.kind === 'file') return [`complete -c ${name} -n ${single(when)} -F`]
        return []
      })
      return [...own, ...args]
    }),
  ]
  return `${lines.join('\n')}\n`
}

export const scripts: Record<Shell, (model: CompletionModel) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript }
