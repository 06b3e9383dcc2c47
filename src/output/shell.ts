import type { GlobalOptions } from '../cli/globalOptions.js'
const SAFE = /^[A-Za-z0-9_./:=@%+-]+$/

/** Quotes one word for a POSIX shell, only when it needs it. */
export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

export const shellCommand = (words: readonly string[]): string => words.map(shellQuote).join(' ')

/** A kms-alias command line that acts where this run acted (same Region, profile and endpoint). */
export function kmsAliasCommand(words: readonly string[], region: string | null, globals: GlobalOptions): string {
  const all = ['kms-alias', ...words]
  if (region) all.push('--region', region)
  if (globals.profile) all.push('--profile', globals.profile)
  if (globals.endpointUrl) all.push('--endpoint-url', globals.endpointUrl)
  return shellCommand(all)
}
