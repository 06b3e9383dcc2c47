// npm run build: bundles src/cli.ts and everything it needs (our code, commander, chalk, the AWS
// SDK, ora, cli-table3) into dist/ with esbuild. Code loaded with import() stays in chunks of its
// own, so --help and usage errors read one file and none of the SDK, ora, cli-table3 or commands.
// tsc only type-checks (npm run typecheck). No source maps: the tarball would have to ship the
// sources they point to, and a minified stack trace is still readable with --debug.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * commander requires node:child_process when it loads, for executable subcommands, which
 * kms-alias never uses; loading it (with net, dgram and the rest it pulls in) costs every run,
 * --help included. commander gets a stand-in that loads the real module on first use instead.
 */
export const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "let real\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] })\n",
      loader: 'js',
    }))
  },
}

export const REQUIRE_BANNER = "import { createRequire as __kmsAliasCreateRequire } from 'node:module'; const require = __kmsAliasCreateRequire(import.meta.url);"

/**
 * What every bundle of ours shares: the package's build, its merge pass, and the bench's floors
 * ("built as the package is"). `plugins` is left to each (the merge pass bundles no commander).
 */
export const bundleOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ES module builds first: they tree-shake (the SDK ships both).
  mainFields: ['module', 'main'],
  minify: true,
  // Licences are collected whole in THIRD-PARTY-LICENSES.txt instead.
  legalComments: 'none',
  // Bundled CommonJS (cli-table3, parts of the SDK) calls require() for Node's built-ins.
  banner: { js: REQUIRE_BANNER },
  logLevel: 'warning',
}

/**
 * Builds into `outdir` (emptied first) and returns esbuild's metafile. `minify` is on for the
 * package; the bench builds without it to show what it buys.
 */
export async function bundle({ outdir = join(root, 'dist'), minify = true } = {}) {
  rmSync(outdir, { recursive: true, force: true })
  const result = await build({
    absWorkingDir: root,
    ...bundleOptions,
    entryPoints: ['src/cli.ts'],
    outdir,
    splitting: true,
    // One flat directory: src/version.ts finds package.json at ../ from whichever file holds it.
    chunkNames: '[name]-[hash]',
    minify,
    plugins: [lazyChildProcess],
    metafile: true,
  })
  await mergeEagerChunks(result.metafile, { minify })
  writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile))
  return result.metafile
}


/**
 * esbuild splits into a chunk of its own whatever the entry shares with the lazily loaded parts
 * (commander, errors, the option parsers…), so --help loaded eleven files, and each ES module
 * costs Node a resolve, a read, a compile and a link. It never puts shared code in the entry
 * itself, so this second pass does: it bundles the entry with the chunks it loads into cli.js,
 * and leaves in each chunk's place a module that re-exports the same bindings from cli.js, for
 * the lazy parts that import them. Each module still exists once, in cli.js.
 */
async function mergeEagerChunks(metafile, { minify }) {
  const outputs = metafile.outputs
  const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint === 'src/cli.ts')
  const chunks = eagerFiles(metafile, entry).filter((f) => f !== entry)
  if (chunks.length === 0) return
  const eager = new Set([entry, ...chunks].map((f) => join(root, f)))
  const exported = (chunk, i) => outputs[chunk].exports.map((name) => [name, `__kmsAlias${i}_${name}`])
  const reexports = chunks.map((chunk, i) => {
    const names = exported(chunk, i).map(([name, as]) => `${name} as ${as}`)
    return names.length ? `export { ${names.join(', ')} } from './${basename(chunk)}'` : ''
  })
  const merged = await build({
    absWorkingDir: root,
    stdin: { contents: [`export * from './${basename(entry)}'`, ...reexports].join('\n'), resolveDir: dirname(join(root, entry)), loader: 'js' },
    ...bundleOptions,
    outfile: join(root, entry),
    minify,
    write: false,
    plugins: [
      {
        name: 'eager-chunks-only',
        setup(b) {
          // Node's built-ins and the lazy chunks stay imports, as they were.
          b.onResolve({ filter: /.*/ }, (args) => (eager.has(resolve(args.resolveDir, args.path)) ? undefined : { path: args.path, external: true }))
          // The banner comes once, on the merged file.
          b.onLoad({ filter: /\.js$/ }, (args) => {
            const code = readFileSync(args.path, 'utf8')
            return { contents: code.startsWith(REQUIRE_BANNER) ? code.slice(REQUIRE_BANNER.length) : code, loader: 'js' }
          })
        },
      },
    ],
  })
  const code = merged.outputFiles[0].contents
  writeFileSync(join(root, entry), code)
  const imports = new Map()
  for (const f of [entry, ...chunks]) for (const i of outputs[f].imports) if (!eager.has(join(root, i.path))) imports.set(`${i.kind} ${i.path}`, i)
  outputs[entry] = {
    ...outputs[entry],
    bytes: code.byteLength,
    inputs: Object.assign({}, ...[entry, ...chunks].map((f) => outputs[f].inputs)),
    imports: [...imports.values()],
    exports: [...outputs[entry].exports, ...chunks.flatMap((c, i) => exported(c, i).map(([, as]) => as))],
  }
  for (const [i, chunk] of chunks.entries()) {
    const names = exported(chunk, i).map(([name, as]) => `${as} as ${name}`)
    const stub = names.length ? `export { ${names.join(', ')} } from './${basename(entry)}'\n` : `import './${basename(entry)}'\n`
    writeFileSync(join(root, chunk), stub)
    outputs[chunk] = { ...outputs[chunk], bytes: Buffer.byteLength(stub), inputs: {}, imports: [{ path: entry, kind: 'import-statement', external: false }] }
  }
}

/** The licence text of every npm package whose code is in the bundle (MIT and Apache-2.0 ask for it). */
export function thirdPartyLicenses(metafile) {
  const packages = new Map()
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split(/[\\/]/)
    const at = parts.lastIndexOf('node_modules')
    if (at < 0) continue
    const nameParts = parts[at + 1]?.startsWith('@') ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2)
    const dir = join(root, ...parts.slice(0, at + 1), ...nameParts)
    if (!packages.has(dir)) packages.set(dir, nameParts.join('/'))
  }
  // The SDK's hundred packages share a few licence texts: print each text once, under its packages.
  const byText = new Map()
  for (const [dir, name] of [...packages].sort((a, b) => a[1].localeCompare(b[1]))) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const files = readdirSync(dir).filter((f) => /^(licen[cs]e|notice)(\.(md|txt))?$/i.test(f)).sort()
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n') || `${pkg.license} (the package ships no licence file)`
    byText.set(text, [...(byText.get(text) ?? []), `${name}@${pkg.version} (${pkg.license})`])
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}`)
  return `kms-alias bundles the following packages.\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`
}

/** The output files `entry` loads before any import() runs: what --help costs. */
export function eagerFiles(metafile, entry) {
  const seen = new Set()
  const visit = (file) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path)
  }
  visit(entry)
  return [...seen]
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const metafile = await bundle()
  const kb = (f) => `${(metafile.outputs[f].bytes / 1024).toFixed(0)} kB`
  const eager = eagerFiles(metafile, 'dist/cli.js').map((f) => `${f} (${kb(f)})`)
  console.log(`dist/: ${Object.keys(metafile.outputs).length} files; --help loads ${eager.join(', ')}`)
}
