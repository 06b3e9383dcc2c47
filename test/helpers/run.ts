import { readJournal, type JournalEntry } from '../../src/engine/journal.js'
import { main } from '../../src/cli/main.js'
import { testContext, type TestContextOptions } from './testContext.js'

/** Runs kms-alias in-process on a test Context; returns the exit code and exact output. */
export async function run(args: string[], options: TestContextOptions = {}) {
  const ctx = testContext(options)
  const code = await main(args, ctx)
  return { code, stdout: ctx.stdout(), stderr: ctx.stderr(), ctx }
}

/** One tab-separated line, as the text view prints it. */
export const line = (...fields: string[]) => `${fields.join('\t')}\n`

/** The entries a test context's journal holds, oldest first. */
export async function journalOf(ctx: { env: Readonly<Record<string, string | undefined>> }): Promise<JournalEntry[]> {
  return (await readJournal(ctx.env.KMS_ALIAS_JOURNAL ?? '')).entries
}
