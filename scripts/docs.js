// npm run docs: rewrites the generated option tables of docs/commands.md from the commander table
// in src/cli/program.ts. The TypeScript is bundled with esbuild first (node cannot run it), with
// the packages left to node_modules, into .docs-build/ (one level down, as dist/ is: the version is
// read from ../package.json), removed again once loaded.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, '.docs-build')
const outfile = join(outdir, 'docsProgram.mjs')
await build({
  absWorkingDir: root,
  entryPoints: ['scripts/docsProgram.ts'],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning',
})
const { docsProgram, optionBlocks, rewriteBlocks } = await import(pathToFileURL(outfile).href).finally(() => rmSync(outdir, { recursive: true, force: true }))

const path = join(root, 'docs', 'commands.md')
const before = readFileSync(path, 'utf8')
const after = rewriteBlocks(before, optionBlocks(docsProgram()))
if (after === before) {
  console.log('docs/commands.md is up to date')
} else {
  writeFileSync(path, after)
  console.log('docs/commands.md: option tables rewritten from src/cli/program.ts')
}
