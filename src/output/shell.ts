const SAFE = /^[A-Za-z0-9_./:=@%+-]+$/

/** Quotes one word for a POSIX shell, only when it needs it. */
export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

export const shellCommand = (words: readonly string[]): string => words.map(shellQuote).join(' ')
